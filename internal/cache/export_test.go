package cache

// RuntimeDirWithShm is RuntimeDir with the /dev/shm fallback at shm ("" for
// none), so tests control it.
var RuntimeDirWithShm = runtimeDir
