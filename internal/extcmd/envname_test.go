package extcmd

import (
	"slices"
	"testing"
)

// On Windows environment names are case-insensitive: kagi reads
// kagi_file_passphrase as KAGI_FILE_PASSPHRASE there, so no program it
// starts may get it under any case.
func TestCleanEnvPerSystem(t *testing.T) {
	environ := []string{
		"Path=C:\\Windows", "KAGI_FILE_PASSPHRASE=pw1", "kagi_file_passphrase=pw2",
		"Kagi_Mfa_Token=123456", "=C:=C:\\work", "KAGI_BACKEND=file",
	}
	for _, tc := range []struct {
		goos string
		want []string
	}{
		{"windows", []string{"Path=C:\\Windows", "=C:=C:\\work", "KAGI_BACKEND=file"}},
		// Other names on Unix, which kagi does not read.
		{"linux", []string{"Path=C:\\Windows", "kagi_file_passphrase=pw2", "Kagi_Mfa_Token=123456", "=C:=C:\\work", "KAGI_BACKEND=file"}},
	} {
		if got := cleanEnv(tc.goos, environ); !slices.Equal(got, tc.want) {
			t.Errorf("cleanEnv(%s) = %q, want %q", tc.goos, got, tc.want)
		}
	}
	for _, tc := range []struct {
		goos, a, b string
		want       bool
	}{
		{"windows", "PATH", "Path", true},
		{"windows", "aws_profile", "AWS_PROFILE", true},
		{"windows", "AWS_PROFILE", "AWS_PROFILES", false},
		{"linux", "PATH", "Path", false},
		{"darwin", "HOME", "HOME", true},
	} {
		if got := sameEnvName(tc.goos, tc.a, tc.b); got != tc.want {
			t.Errorf("sameEnvName(%s, %q, %q) = %v, want %v", tc.goos, tc.a, tc.b, got, tc.want)
		}
	}
}
