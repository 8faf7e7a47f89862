package backend

import (
	"fmt"
	"os"
	"syscall"
)

// sysID is the part of a file's identity that only the system knows: device, inode and change time.
func sysID(info os.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d %d %d.%09d", st.Dev, st.Ino, st.Ctimespec.Sec, st.Ctimespec.Nsec)
}
