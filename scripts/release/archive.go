package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"io/fs"
	"time"
)

// archiveFile is one file of a release archive. Only the name, mode and
// bytes go in: owner, group and timestamps are fixed so that the archive is a
// function of its contents and the commit.
type archiveFile struct {
	name string
	mode int64
	data []byte
}

// tarGzArchive writes files in the order given, owned by 0:0 with no names,
// each with mtime date, gzip'ed without a name or timestamp in its header.
func tarGzArchive(files []archiveFile, date time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	for _, f := range files {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.name,
			Mode:     f.mode,
			Size:     int64(len(f.data)),
			ModTime:  date.UTC().Truncate(time.Second),
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zipArchive writes files in the order given with date as their time. The
// zip format keeps a local time without a zone (MS-DOS time); giving the
// writer a UTC time makes it write that in UTC, plus the extended timestamp,
// whatever the zone of the machine that builds.
func zipArchive(files []archiveFile, date time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, f := range files {
		hdr := &zip.FileHeader{
			Name:     f.name,
			Method:   zip.Deflate,
			Modified: date.UTC().Truncate(time.Second),
		}
		hdr.SetMode(fs.FileMode(f.mode))
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
