package pipeline

// For the benchmarks of package pipeline_test, which use internal/matchbench (and so
// cannot be in package pipeline: matchbench renders pipeline.Post).
var DecodeShared = decodeShared

// DecodeWith decodes b with the fast path, sharing b's memory or not.
func DecodeWith(b []byte, share bool) (Post, Shape, error) { return decode(b, 0, true, share) }
