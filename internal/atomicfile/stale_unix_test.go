//go:build unix

package atomicfile

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestRemoveStaleRemovesOnlyDeadWriters: a writer killed between creating
// its temporary file and renaming it leaves the file behind, holding what
// it was writing; the next RemoveStale removes it, and never the file of a
// writer still at work.
func TestRemoveStaleRemovesOnlyDeadWriters(t *testing.T) {
	dir := t.TempDir()
	// A writer that died: the kernel dropped its lock with it.
	dead := filepath.Join(dir, ".tmp-dead")
	if err := os.WriteFile(dead, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A writer at work in this process holds its file's lock.
	live, err := createTemp(dir, ".tmp-*")
	if err != nil {
		t.Fatal(err)
	}
	// Another process's writer at work: a child holding a flock on its file.
	other := filepath.Join(dir, ".tmp-other")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("flock"); err != nil {
		other = ""
	} else {
		child := exec.Command("flock", other, "sh", "-c", "echo locked; read x")
		stdin, _ := child.StdinPipe()
		stdout, _ := child.StdoutPipe()
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { stdin.Close(); child.Wait() }()
		buf := make([]byte, 7)
		if _, err := stdout.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	keep := filepath.Join(dir, "item") // not a temporary file at all
	if err := os.WriteFile(keep, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	RemoveStale(dir, ".tmp-")
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("a dead writer's file is still there (%v)", err)
	}
	for _, p := range []string{live.Name(), other, keep} {
		if _, err := os.Stat(p); p != "" && err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	// The live writer's rename still works, and it then is no temporary
	// file any more.
	if err := renameAndClose(live, live.Name(), filepath.Join(dir, "done")); err != nil {
		t.Fatal(err)
	}
	RemoveStale(dir, ".tmp-")
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		t.Error(err)
	}
}

// TestWriteSurvivesRemoveStale: writers and cleaners at once never lose a
// write.
func TestWriteSurvivesRemoveStale(t *testing.T) {
	dir := t.TempDir()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			RemoveStale(dir, ".tmp-")
		}
	}()
	for i := range 200 {
		if err := Write(filepath.Join(dir, "f"), []byte{byte(i)}, 0o600, ".tmp-*"); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	<-done
}

// TestRemoveStaleAfterKill: a writer killed by SIGKILL in the middle of a
// Write (its temporary file created, written and locked) leaves a file the
// next RemoveStale removes: the kernel dropped the lock with the process.
func TestRemoveStaleAfterKill(t *testing.T) {
	if dir := os.Getenv("ATOMICFILE_TEST_WRITER_DIR"); dir != "" {
		f, err := createTemp(dir, ".tmp-*")
		if err != nil {
			os.Exit(3)
		}
		f.WriteString("secret")
		os.Stdout.WriteString("ready\n")
		select {} // killed here
	}
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestRemoveStaleAfterKill$")
	child.Env = append(os.Environ(), "ATOMICFILE_TEST_WRITER_DIR="+dir)
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "ready\n" {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("writer: %q, %v", buf, err)
	}
	RemoveStale(dir, ".tmp-")
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("a live writer's file was removed: %v", entries)
	}
	child.Process.Kill()
	child.Wait()
	RemoveStale(dir, ".tmp-")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a killed writer's file is still there: %v", entries)
	}
}
