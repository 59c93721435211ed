// Hashtags: a hashtag's body split into known terms, vocabulary words or
// camel-case parts.

package match

// hashtag emits the tokens of the hashtag body b[s:e]: parts split at '_',
// each kept whole when it is a known term, else segmented against the
// vocabulary, else split at camel-case boundaries.
func (m *Matcher) hashtag(sc *scratch, s, e int, sent, hg int32) {
	first := true
	emit := func(ps, pe int) {
		if pe <= ps || len(sc.toks) >= maxTokens {
			return
		}
		t := token{s: int32(ps), e: int32(pe), sent: sent, hg: hg, fl: tkHash}
		if first {
			t.fl |= tkBreak
			first = false
		}
		for k := ps; k < pe; {
			r, size := decode(sc.buf, k)
			if classOf(r) == clsCJK {
				t.fl |= tkCJK
				break
			}
			k += size
		}
		sc.toks = append(sc.toks, t)
	}
	part := func(ps, pe int) {
		if pe <= ps {
			return
		}
		if _, ok := m.r.index[string(sc.buf[ps:pe])]; ok {
			emit(ps, pe)
			return
		}
		if m.segment(sc, ps, pe, emit) {
			return
		}
		// camel-case boundaries inside this part
		cs := ps
		for _, c := range sc.nz.camel {
			if int(c) > cs && int(c) < pe {
				sub := func(a, z int) {
					if _, ok := m.r.index[string(sc.buf[a:z])]; ok || !m.segment(sc, a, z, emit) {
						emit(a, z)
					}
				}
				sub(cs, int(c))
				cs = int(c)
			}
		}
		if cs == ps {
			emit(ps, pe)
			return
		}
		if _, ok := m.r.index[string(sc.buf[cs:pe])]; ok || !m.segment(sc, cs, pe, emit) {
			emit(cs, pe)
		}
	}
	// Parts: split at '_' and where the script switches between CJK and
	// other letters (#Discord障害).
	ps := s
	prevCJK := false
	for k := s; k < e; {
		if sc.buf[k] == '_' {
			part(ps, k)
			k++
			ps = k
			prevCJK = false
			continue
		}
		r, size := decode(sc.buf, k)
		isCJK := classOf(r) == clsCJK
		if isCJK != prevCJK && k > ps {
			part(ps, k)
			ps = k
		}
		prevCJK = isCJK
		k += size
	}
	part(ps, e)
}

// segment splits b[s:e] into the fewest vocabulary words covering it whole
// (at least two) and emits them; it reports whether it did.
func (m *Matcher) segment(sc *scratch, s, e int, emit func(int, int)) bool {
	n := e - s
	if n < 3 || n > maxPart {
		return false
	}
	t := &m.r.trie
	best, back := &sc.best, &sc.back
	for i := 1; i <= n; i++ {
		best[i] = -1
	}
	best[0] = 0
	for i := 0; i < n; i++ {
		if best[i] < 0 {
			continue
		}
		node := int32(0)
		for j := i; j < n; j++ {
			node = t.step(node, sc.buf[s+j])
			if node == 0 {
				break
			}
			if t.nodes[node].term {
				if best[j+1] < 0 || best[i]+1 < best[j+1] {
					best[j+1] = best[i] + 1
					back[j+1] = int16(i)
				}
			}
		}
	}
	if best[n] < 2 {
		return false
	}
	// Recover the cut points (at most n pieces) without allocating.
	var cuts [maxPart + 1]int16
	k := 0
	for i := n; i > 0; i = int(back[i]) {
		cuts[k] = int16(i)
		k++
	}
	prev := 0
	for k--; k >= 0; k-- {
		emit(s+prev, s+int(cuts[k]))
		prev = int(cuts[k])
	}
	return true
}
