package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAgeFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"90d", 90 * 24 * time.Hour, "90d"},
		{"1d", 24 * time.Hour, "1d"},
		{"12h", 12 * time.Hour, "12h0m0s"},
		{"48h", 48 * time.Hour, "2d"},
		{"90m", 90 * time.Minute, "1h30m0s"},
	} {
		var f ageFlag
		if err := f.Set(tc.in); err != nil || time.Duration(f) != tc.want || f.String() != tc.str {
			t.Errorf("Set(%q): %v, %v, %q", tc.in, time.Duration(f), err, f.String())
		}
	}
	for _, bad := range []string{"", "d", "x d", "-1d", "0d", "0s", "soon", "1.5d", "-3h"} {
		var f ageFlag
		if err := f.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted: %v", bad, time.Duration(f))
		}
	}
}

func TestRotateArgvToOptions(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		env  map[string]string
		want any
		code int
	}{
		{[]string{"rotate", "jump"}, nil, rotateOptions{Profile: "jump"}, ExitOK},
		{[]string{"rotate"}, map[string]string{"AWS_PROFILE": "jump"}, rotateOptions{Profile: "jump"}, ExitOK},
		{[]string{"rotate", "--all", "--older-than", "90d"}, nil, rotateOptions{All: true, OlderThan: ageFlag(90 * 24 * time.Hour)}, ExitOK},
		{[]string{"rotate", "jump", "--mfa-token", "123456", "--prompt", "terminal"}, nil, rotateOptions{Profile: "jump", MFAToken: "123456", Prompt: "terminal"}, ExitOK},
		{[]string{"rotate"}, nil, nil, ExitUsage},
		{[]string{"rotate", "jump", "--all"}, nil, nil, ExitUsage},
		{[]string{"rotate", "jump", "--older-than", "ninety"}, nil, nil, ExitUsage},
		{[]string{"rotate", "a", "b"}, nil, nil, ExitUsage},
	} {
		for _, tree := range [][]string{nil, tc.argv} {
			t.Run(fmt.Sprintf("%s/tree=%d", strings.Join(tc.argv, " "), len(tree)), func(t *testing.T) {
				io, _, _ := testIO(tc.env)
				a := &app{io: io}
				var got any
				a.optionsHook = func(o any) error { got = o; return nil }
				root := a.rootCommand(tree)
				root.SetArgs(tc.argv)
				root.SetOut(io.Out)
				root.SetErr(io.Err)
				if code := report(io.Err, root.ExecuteContext(context.Background())); code != tc.code {
					t.Fatalf("exit code %d, want %d", code, tc.code)
				}
				if tc.code == ExitOK && fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
					t.Errorf("options = %#v\nwant %#v", got, tc.want)
				}
			})
		}
	}
}
