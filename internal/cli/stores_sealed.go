package cli

import (
	"errors"
	"fmt"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/debug"
)

// openSealedCache opens the sealed cache directory loc (see
// cache.SealedDir): Windows's cache, where no tmpfs keeps entries off the
// disk and DPAPI seals them instead. A directory that cannot be used is an
// error with its fix: unlike /dev/shm, %LOCALAPPDATA% is the user's own,
// so no other user can have taken the name first.
func openSealedCache(loc cache.Location, sealer cache.Sealer, log *debug.Log) (cache.Store, error) {
	if loc.Dir == "" {
		return nil, &hintError{
			err:  errors.New("no directory for cached sessions: LOCALAPPDATA and USERPROFILE are not set"),
			hint: "set KAGI_CACHE_DIR to an absolute path to a directory of your own",
		}
	}
	s, err := cache.OpenSealedDir(loc.Dir, sealer)
	if err != nil && loc.Chosen {
		return nil, fmt.Errorf("KAGI_CACHE_DIR: %w", err)
	}
	if err != nil {
		return nil, err
	}
	log.Printf("cache: %s, entries sealed", loc.Dir)
	return s, nil
}
