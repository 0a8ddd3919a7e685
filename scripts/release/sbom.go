package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// The SBOM is CycloneDX 1.5 JSON, made from the build info the go command
// embeds in the binary: the same data `go version -m kagi` prints. It lists the
// modules linked into this target's binary (so Windows has wincred, Linux has
// dbus), which is narrower and truer than `go list -m all`, plus the Go
// standard library at the toolchain's version, for vulnerability scanners.

type cdxBOM struct {
	BOMFormat    string          `json:"bomFormat"`
	SpecVersion  string          `json:"specVersion"`
	SerialNumber string          `json:"serialNumber"`
	Version      int             `json:"version"`
	Metadata     cdxMetadata     `json:"metadata"`
	Components   []cdxComponent  `json:"components"`
	Dependencies []cdxDependency `json:"dependencies"`
}

type cdxMetadata struct {
	Timestamp string       `json:"timestamp"`
	Tools     cdxTools     `json:"tools"`
	Component cdxComponent `json:"component"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	BOMRef     string        `json:"bom-ref,omitempty"`
	Type       string        `json:"type"`
	Name       string        `json:"name"`
	Version    string        `json:"version,omitempty"`
	PURL       string        `json:"purl,omitempty"`
	Hashes     []cdxHash     `json:"hashes,omitempty"`
	Properties []cdxProperty `json:"properties,omitempty"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxDependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

// goPURL is the package URL of a Go module; qualifiers in key order, as the
// purl spec asks.
func goPURL(path, version string, t target) string {
	p := "pkg:golang/" + path + "@" + version
	if t.goos != "" {
		p += "?goarch=" + t.goarch + "&goos=" + t.goos
	}
	return p
}

// marshalJSON indents and keeps & < > as they are (they appear in purls).
func marshalJSON(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// cycloneDX describes the kagi binary of target t whose SHA-256 is binSHA256.
// The timestamp is the commit's date and the serial number a hash of the
// binary, so the document is as reproducible as the binary.
func cycloneDX(bi *debug.BuildInfo, t target, binSHA256 string, date time.Time) ([]byte, error) {
	mainRef := goPURL(bi.Main.Path, bi.Main.Version, t)
	var props []cdxProperty
	for _, s := range bi.Settings {
		props = append(props, cdxProperty{Name: "go:build:" + s.Key, Value: s.Value})
	}
	props = append(props, cdxProperty{Name: "go:toolchain", Value: bi.GoVersion})

	stdVersion := "v" + strings.TrimPrefix(bi.GoVersion, "go")
	stdRef := "pkg:golang/stdlib@" + stdVersion
	comps := []cdxComponent{{BOMRef: stdRef, Type: "library", Name: "stdlib", Version: stdVersion, PURL: stdRef}}
	for _, d := range bi.Deps {
		path, version, sum := d.Path, d.Version, d.Sum
		var dprops []cdxProperty
		if d.Replace != nil {
			dprops = append(dprops, cdxProperty{Name: "go:replaces", Value: d.Path + "@" + d.Version})
			path, version, sum = d.Replace.Path, d.Replace.Version, d.Replace.Sum
		}
		if sum != "" {
			// go.sum's hash of the module tree (h1: is base64 SHA-256 over
			// the file list); `go mod verify` checks a module against it.
			dprops = append(dprops, cdxProperty{Name: "go:sum", Value: sum})
		}
		ref := goPURL(path, version, target{})
		comps = append(comps, cdxComponent{BOMRef: ref, Type: "library", Name: path, Version: version,
			PURL: ref, Properties: dprops})
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].BOMRef < comps[j].BOMRef })
	refs := make([]string, len(comps))
	for i, c := range comps {
		refs[i] = c.BOMRef
	}

	serial := sha256.Sum256([]byte("kagi sbom " + binSHA256))
	serial[6] = serial[6]&0x0f | 0x50 // a name-based UUID (version 5 layout)
	serial[8] = serial[8]&0x3f | 0x80
	bom := cdxBOM{
		BOMFormat:   "CycloneDX",
		SpecVersion: "1.5",
		SerialNumber: fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x",
			serial[0:4], serial[4:6], serial[6:8], serial[8:10], serial[10:16]),
		Version: 1,
		Metadata: cdxMetadata{
			Timestamp: date.UTC().Format(time.RFC3339),
			Tools: cdxTools{Components: []cdxComponent{{Type: "application", Name: "kagi scripts/release",
				Version: bi.Main.Version}}},
			Component: cdxComponent{BOMRef: mainRef, Type: "application", Name: bi.Main.Path,
				Version: bi.Main.Version, PURL: mainRef,
				Hashes:     []cdxHash{{Alg: "SHA-256", Content: binSHA256}},
				Properties: props},
		},
		Components:   comps,
		Dependencies: []cdxDependency{{Ref: mainRef, DependsOn: refs}},
	}
	return marshalJSON(bom, "  ")
}
