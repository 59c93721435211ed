package post

// DecodeWith decodes b with the fast path, sharing b's memory or not.
func DecodeWith(b []byte, share bool) (Post, Shape, error) { return decode(b, 0, true, share) }
