//go:build !windows

package picker

import (
	"context"
	"io"
	"os"
	"testing"
)

// TestWhatIsTypedAfterEnterStaysForTheShell: a person who types the next
// command before the picker has gone loses none of it. The picker reads
// the terminal (here a pipe, written all at once as a fast typist or a
// paste would) up to the Enter that chooses, and not a byte further.
func TestWhatIsTypedAfterEnterStaysForTheShell(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.Write([]byte("pr\x1b[B\x1b[A\r" + "aws s3 ls\r")); err != nil {
		t.Fatal(err)
	}
	w.Close()

	v := newVT(t, 60, 10)
	in := make(chan chunk)
	want := make(chan struct{}, 1)
	stop := make(chan struct{})
	go readChunks(r, in, want, stop)
	s := &session{prompt: "kagi: profile> ", in: in, more: func() { want <- struct{}{} }, size: v.size, resized: make(chan struct{})}
	idx, err := run(context.Background(), s, &screen{w: v}, []Item{{Name: "dev"}, {Name: "prod"}, {Name: "prod-eu"}})
	close(stop)
	if err != nil || idx != 1 {
		t.Fatalf("picked %d, %v; want 1 (prod)", idx, err)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(rest) != "aws s3 ls\r" {
		t.Errorf("left in the terminal: %q, want %q", rest, "aws s3 ls\r")
	}
}
