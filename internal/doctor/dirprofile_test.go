package doctor

import (
	"context"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/dirprofile"
)

func TestCheckDirProfile(t *testing.T) {
	files := parse(t, "[profile prod]\nregion = us-east-1\n")
	found := &dirprofile.Found{Path: "/src/infra/.aws-profile", Profile: "prod"}
	for _, tc := range []struct {
		name   string
		st     DirProfileState
		env    map[string]string
		status Status
		msg    string
		fix    string
	}{
		{"no file", DirProfileState{}, nil, "", "", ""},
		{"chooses", DirProfileState{Found: found}, nil, OK, `chooses profile "prod" for 'kagi use'`, ""},
		{"aws_profile first", DirProfileState{Found: found}, map[string]string{"AWS_PROFILE": "dev"}, OK, "AWS_PROFILE=dev comes first", ""},
		{"unknown profile", DirProfileState{Found: &dirprofile.Found{Path: "/x/.aws-profile", Profile: "prd"}}, nil, Fail, `names profile "prd", which is not in`, "write the name of a profile"},
		{"broken file", DirProfileState{Err: &dirprofile.FileError{Path: "/x/.aws-profile", Problem: "names no profile"}}, nil, Fail, "names no profile", "write one profile name"},
	} {
		fs := checkDirProfile(tc.st, files, true, config.MapEnv(tc.env))
		if tc.status == "" {
			if len(fs) != 0 {
				t.Errorf("%s: %+v", tc.name, fs)
			}
			continue
		}
		if len(fs) != 1 || fs[0].Check != CheckProfileFile || fs[0].Status != tc.status || !strings.Contains(fs[0].Message, tc.msg) || !strings.Contains(fs[0].Fix, tc.fix) {
			t.Errorf("%s: %+v", tc.name, fs)
		}
	}
	// Run reports it.
	got := Run(context.Background(), Inputs{Env: config.MapEnv(nil), Files: files, DirProfile: DirProfileState{Found: found}})
	n := 0
	for _, f := range got {
		if f.Check == CheckProfileFile && f.Subject == found.Path {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Run: %d profile_file findings in %+v", n, got)
	}
}
