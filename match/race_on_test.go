//go:build race

package match

// raceBuild reports whether the tests run under the race detector.
const raceBuild = true
