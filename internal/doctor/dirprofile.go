package doctor

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/dirprofile"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// CheckProfileFile is the .aws-profile that chooses the profile of `kagi
// use` without one in the working directory.
const CheckProfileFile = "profile_file"

// DirProfileState is what internal/dirprofile found from the working
// directory: the file (nil when there is none) or why it cannot be used.
type DirProfileState struct {
	Found *dirprofile.Found
	Err   error
}

// checkDirProfile says which file chooses the profile here, whether that
// profile exists, and whether AWS_PROFILE comes first in this shell; no
// finding when there is no file.
func checkDirProfile(st DirProfileState, files *config.Files, loaded bool, env config.Env) []Finding {
	if st.Err != nil {
		subject := ""
		var fe *dirprofile.FileError
		var we *fsguard.WritableError
		var nr *fsguard.NotRegularError
		switch {
		case errors.As(st.Err, &fe):
			subject = fe.Path
		case errors.As(st.Err, &we):
			subject = we.Path
		case errors.As(st.Err, &nr):
			subject = nr.Path
		}
		return []Finding{{Check: CheckProfileFile, Status: Fail, Subject: subject, Message: st.Err.Error(),
			Fix: orDefault(fixOf(st.Err), "remove the "+dirprofile.FileName+" file, or make it readable")}}
	}
	if st.Found == nil {
		return nil
	}
	f := Finding{Check: CheckProfileFile, Status: OK, Subject: st.Found.Path,
		Message: fmt.Sprintf("chooses profile %q for 'kagi use' without a profile here", st.Found.Profile)}
	if env != nil {
		for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
			if v, ok := env(name); ok && v != "" {
				f.Message += fmt.Sprintf("; %s=%s comes first in this shell", name, v)
				break
			}
		}
	}
	if loaded && !slices.Contains(files.ProfileNames(), st.Found.Profile) {
		f.Status = Fail
		f.Message = fmt.Sprintf("names profile %q, which is not in %s", st.Found.Profile, files.Config.Path)
		f.Fix = fmt.Sprintf("write the name of a profile 'kagi list' shows in %s, or remove it", st.Found.Path)
	}
	return []Finding{f}
}
