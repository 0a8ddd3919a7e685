package filelock

import "runtime"

// onWindows: ACLs, not mode bits, keep lock files private there.
const onWindows = runtime.GOOS == "windows"
