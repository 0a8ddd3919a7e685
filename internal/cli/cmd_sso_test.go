package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestSSOArgvToOptions(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want any
		code int
	}{
		{[]string{"sso", "login", "prod"}, ssoLoginOptions{Profile: "prod"}, ExitOK},
		{[]string{"sso", "login", "--profile", "prod"}, ssoLoginOptions{Profile: "prod"}, ExitOK},
		{[]string{"sso", "login", "--sso-session", "my-sso", "--use-device-code"}, ssoLoginOptions{Session: "my-sso", DeviceCode: true}, ExitOK},
		{[]string{"sso", "login", "--no-browser"}, ssoLoginOptions{NoBrowser: true}, ExitOK},
		{[]string{"sso", "login", "prod", "--profile", "prod"}, ssoLoginOptions{Profile: "prod"}, ExitOK},
		{[]string{"sso", "login", "prod", "--profile", "dev"}, nil, ExitUsage},
		{[]string{"sso", "login", "prod", "--sso-session", "s"}, nil, ExitUsage},
		{[]string{"sso", "login", "a", "b"}, nil, ExitUsage},
		{[]string{"sso", "logout"}, ssoLogoutOptions{}, ExitOK},
		{[]string{"sso", "logout", "--sso-session", "s"}, ssoLogoutOptions{Session: "s"}, ExitOK},
		{[]string{"sso", "logout", "prod"}, ssoLogoutOptions{Profile: "prod"}, ExitOK},
		{[]string{"sso"}, nil, ExitUsage},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			io, _, _ := testIO(nil)
			a := &app{io: io}
			var got any
			a.optionsHook = func(o any) error { got = o; return nil }
			root := a.rootCommand(tc.argv)
			root.SetArgs(tc.argv)
			if code := report(io.Err, root.ExecuteContext(context.Background())); code != tc.code {
				t.Fatalf("exit code %d, want %d", code, tc.code)
			}
			if tc.code == ExitOK && fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
				t.Errorf("options = %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestSSOCacheDir(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	home := t.TempDir()
	dir, err := ssoCacheDir(env(map[string]string{"HOME": home}))
	if err != nil || dir != filepath.Join(home, ".aws", "sso", "cache") {
		t.Fatalf("%q %v", dir, err)
	}
	if _, err := ssoCacheDir(env(map[string]string{"HOME": "relative"})); err == nil {
		t.Fatal("a relative HOME was accepted")
	}
}
