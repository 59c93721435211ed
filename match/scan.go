// The phrase scan: every token looked up against the rules' phrases
// (second-word hashes, an adverb skipped, Arabic clitics, name suffixes,
// handles), leaving the marks, mentions and intents the decision reads.

package match

import (
	"bytes"
	"cmp"
	"slices"
	"unicode/utf8"
)

// displaceSpan is how many words a displacement phrase may stand before the
// service it sends people to: right before it, since words between
// ("checked downdetector, Facebook reports spiking") break the link.
const displaceSpan = 1

// scan looks every token up; it reports whether any service was named.
func (m *Matcher) scan(sc *scratch) bool {
	r := m.r
	b := sc.buf
	toks := sc.toks
	if cap(sc.marks) < len(toks) {
		sc.marks = make([]uint16, len(toks), 2*len(toks))
		sc.plangs = make([]uint64, len(toks), 2*len(toks))
	}
	sc.marks = sc.marks[:len(toks)]
	clear(sc.marks)
	sc.plangs = sc.plangs[:len(toks)]
	clear(sc.plangs)
	sc.mentions = sc.mentions[:0]
	sc.intents = sc.intents[:0]
	sc.cancels = sc.cancels[:0]
	sc.conseq, sc.causes, sc.awaits, sc.ownWork = sc.conseq[:0], sc.causes[:0], sc.awaits[:0], sc.ownWork[:0]
	sc.together = sc.together[:0]
	sc.ctxGroups = sc.ctxGroups[:0]
	sc.past, sc.present, sc.pastCov, sc.presentCov = sc.past[:0], sc.present[:0], sc.pastCov[:0], sc.presentCov[:0]
	var probs uint16
	cancel, negated := false, false
	supposing := false // a supposition term was found (catSuppose)
	runWords := false  // a CJK run holds a name and other words ("アウトルックの動画ってどうやって…？")
	runOther := false  // a CJK run holds words that are neither names nor intent terms
	aliasNext, intentNext, ownNext := 0, 0, 0
	for i := range toks {
		t := &toks[i]
		key := b[t.s:t.e]
		var aliasBest, intentBest, ownBest int32 = -1, -1, -1
		cjkNeg := false  // a symptom verb and a post-negator inside one CJK run
		cjkDest := false // a name inside one CJK run right after a displacement term or before an arrival term
		aliasLen, intentLen, ownLen := 0, 0, 0
		inRun := false // considering the phrases found inside a CJK run
		consider := func(id int32, n int) {
			p := &r.phrases[id]
			if p.joined && t.fl&tkHash == 0 {
				return
			}
			switch p.cat {
			case catAlias:
				if n > aliasLen {
					aliasBest, aliasLen = id, n
				}
			case catOutage, catRecovery, catNegation, catFine, catOnlyMe:
				// (catOnlyMe: an outage term in a question only, below)
				if p.category != 0 {
					// A category's own term ("no power") is kept apart: it
					// counts only for services of the category, and must not
					// hide a shorter general term for the others.
					if n > ownLen {
						ownBest, ownLen = id, n
					}
					return
				}
				if n > intentLen && (p.exact == "" || sc.writes(p.exact)) {
					intentBest, intentLen = id, n
				}
			case catNamed:
				// only right after a name (in a CJK run, nameEndsAt checked the hits);
				// an exact term only where the post writes it so ("=sập", not "sắp")
				if n > intentLen && (inRun || nameEndsBefore(sc, i) || r.adverbAfterName(sc, i, p.langs) || sc.predicateOfName(i, p.langs)) && (p.exact == "" || sc.writes(p.exact)) {
					intentBest, intentLen = id, n
				}
			case catNegator:
				sc.markPair(i, mkNegator, p.langs)
			case catPotential:
				sc.marks[i+n-1] |= mkPotential
			case catPostNeg:
				sc.markPair(i, mkPostNeg, p.langs)
			case catVerb:
				sc.markPair(i, mkVerb, p.langs)
			case catConnector:
				sc.marks[i] |= mkConnector
			case catProblem:
				probs |= 1 << uint(p.prob)
			case catContext:
				sc.ctxGroups = append(sc.ctxGroups, p.cgroups...)
			case catCancel:
				cancel = true
				if !inRun { // in a CJK run: by the bytes it covers (below)
					sc.cancels = append(sc.cancels, int32(i), int32(i+n))
				}
			case catPast:
				if len(sc.past) == 0 || sc.past[len(sc.past)-1] != int32(i) {
					sc.past = append(sc.past, int32(i))
				}
				if t.fl&tkCJK == 0 && n > 1 {
					sc.pastCov = append(sc.pastCov, int32(i), int32(i+n))
				}
			case catConseq:
				if k := len(sc.conseq); k == 0 || sc.conseq[k-1] != int32(i) {
					sc.conseq = append(sc.conseq, int32(i))
				}
			case catCause:
				if k := len(sc.causes); k == 0 || sc.causes[k-1] != int32(i) {
					sc.causes = append(sc.causes, int32(i))
				}
			case catAwait:
				sc.awaits = append(sc.awaits, intent{pos: int32(i), end: int32(i + n), sent: t.sent, langs: p.langs})
			case catOwnWork, catOwnSide:
				sc.ownWork = append(sc.ownWork, intent{cat: p.cat, pos: int32(i), end: int32(i + n), sent: t.sent, hg: t.hg})
			case catNotName:
				if t.fl&tkCJK == 0 {
					sc.marks[i+n-1] |= mkNotName
				}
			case catPlatform:
				if t.fl&tkCJK == 0 {
					sc.marks[i+n-1] |= mkPlatform
				}
			case catWith:
				if t.fl&tkCJK == 0 {
					sc.marks[i+n-1] |= mkWith
				}
			case catSuppose:
				if t.fl&tkCJK == 0 {
					supposing = true
					for k := i; k < i+n; k++ {
						sc.marks[k] |= mkSuppose
					}
				}
			case catTogether:
				if k := len(sc.together); k == 0 || sc.together[k-1] != int32(i) {
					sc.together = append(sc.together, int32(i))
				}
			case catPresent:
				sc.marks[i] |= mkPresent
				if t.fl&tkCJK == 0 && n > 1 {
					sc.presentCov = append(sc.presentCov, int32(i), int32(i+n))
				}
			case catDisplace:
				if t.fl&tkCJK == 0 { // in a CJK run: only at its end (below)
					sc.marks[i+n-1] |= mkDisplace
				}
			case catArrive:
				if t.fl&tkCJK == 0 { // in a CJK run: only at its start (below)
					sc.marks[i] |= mkArrive
				}
			}
		}
		if t.fl&tkMention != 0 {
			ids := r.index[string(key)]
			if len(ids) == 0 {
				if core := handleCore(key, func(c []byte) bool { return len(r.index[string(c)]) > 0 }); core != nil {
					ids = r.index[string(core)]
				}
			}
			for _, id := range ids {
				if p := &r.phrases[id]; len(p.toks) == 1 && (p.cat == catAlias || p.cat == catContext) {
					consider(id, 1)
				}
			}
		} else {
			if r.mayHave(key) {
				if hd, ok := r.heads[string(key)]; ok {
					// Most phrases a word starts fail on the next word: only
					// those of the next word (or the word after next, for an
					// adverb between) are looked at, found by the two words'
					// hashes, in index order.
					ids := hd.any
					h1, h2 := tokHash(sc, i+1), tokHash(sc, i+2)
					p1, p2 := hd.pairsOf(r, h1), hd.pairsOf(r, h2)
					if h2 == h1 {
						p2 = nil
					}
					if len(p1) == 0 && hd.names {
						// A two-word name with a case ending on its second
						// word ("Гугл драйвга", "в гугл диске"): its pairs
						// are found by the word without the ending.
						p1 = hd.pairsOf(r, sc.unsuffixedHash(i+1))
					}
					if len(p1)+len(p2) > 0 {
						// (copied only when a pair is found: most words have none)
						ids = append(append(append(sc.cands[:0], hd.any...), p1...), p2...)
						slices.SortFunc(ids, func(a, b int32) int { return cmp.Compare(r.rank[a], r.rank[b]) })
						sc.cands = ids
					}
					for _, id := range ids {
						if n := m.follows(sc, i, id); n > 0 {
							consider(id, n)
						}
					}
				}
			}
			if t.fl&tkCJK != 0 {
				// CJK phrases by substring, considered in file order. A negation
				// cancels the outage and recovery terms it overlaps (落ちたら, "if it
				// goes down", holds 落ちた), as whole words do in spaced scripts.
				found, hits := sc.cjkFound[:0], runHits(r, sc.cjkHits[:0], key, false)
				negated := false
				for _, h := range hits {
					negated = negated || r.phrases[h.id].cat == catNegation
				}
				named, upTo := runCover(r, hits, func(p *phrase) bool { return p.cat == catAlias })
				runWords = runWords || named > 0 && named < len(key)
				said, _ := runCover(r, hits, func(p *phrase) bool {
					c := p.cat
					return p.category == 0 && (c == catAlias || c == catOutage || c == catRecovery || c == catNamed)
				})
				runOther = runOther || said < len(key)
				if named > 0 && upTo < len(key) && !listParticles[string(key[upTo:])] {
					// A run is a clause as often as a name: one that goes on
					// after its names ("เมื่อคืนยูทูปล่ม", "last night YouTube was
					// down") does not list them with the next name (a particle,
					// "카톡이랑", "LINEも", still does).
					sc.marks[i] |= mkRunTail
				}
				for _, h := range hits {
					cat := r.phrases[h.id].cat
					if negated && (cat == catOutage || cat == catRecovery || cat == catNamed) && negatedAt(r, hits, h) {
						continue
					}
					if cat == catOutage && inLonger(r, hits, h, catRecovery) {
						continue // หายล่มแล้ว, "no longer down": the outage word is part of the recovery
					}
					if cat == catNotName && h.e == len(key) {
						sc.marks[i] |= mkNotName // "ไม่ใช่" ending the run before a name
					}
					if cat == catCancel && supposedInRun(r, hits, h) {
						continue // "我以为我手机坏了": the poster's own trouble was a wrong guess
					}
					if cat == catPresent && inLonger(r, hits, h, catPast) {
						continue // 现在想起来, "thinking of it now": the present word is part of the past cue
					}
					if cat == catNamed && !nameEndsAt(r, hits, h.s) && (h.s != 0 || !nameEndsBefore(sc, i)) {
						// right after a name in the run, or opening a run
						// right after one ("Teamsค้าง", "Discord ค้าง")
						continue
					}
					found = append(found, h.id)
				}
				sc.cjkHits = hits
				for _, h := range hits {
					// A post negation in a run is covered by a category's own
					// term only where its bytes lie within it (計画停電覚えてる:
					// "remember" is not part of 停電).
					if r.phrases[h.id].cat == catCancel && !supposedInRun(r, hits, h) {
						end := int32(i)
						if ownCovers(r, hits, h) {
							end++
						}
						sc.cancels = append(sc.cancels, int32(i), end)
					}
				}
				if len(found) > 1 {
					slices.Sort(found)
					found = slices.Compact(found)
				}
				inRun = true
				for _, id := range found {
					// A name inside a longer one is not named: グーグルドライブ
					// holds グーグル, and is Google Drive.
					if r.phrases[id].cat != catAlias || !insideLongerName(r, hits, id) {
						consider(id, 1)
					}
				}
				inRun = false
				sc.cjkFound = found
				cjkNeg = !negated && verbThenNegator(r, hits)
				cjkDest = destinationInRun(r, hits)
				for _, h := range hits {
					// "所以来" + Instagram, Twitter + "に来た": a displacement term
					// ending the run, an arrival term starting it
					switch r.phrases[h.id].cat {
					case catDisplace:
						if h.e == len(key) {
							sc.marks[i] |= mkDisplace
						}
					case catArrive:
						if h.s == 0 {
							sc.marks[i] |= mkArrive
						}
					}
				}
			}
			if key[0] >= 0xD8 && key[0] <= 0xDB && intentBest < 0 && (aliasBest < 0 || aliasLen == 1 && t.fl&tkHash == 0) {
				// Arabic clitics: الواتساب, وما, لواتساب, المشكلة. Only a word that
				// starts no phrase found here ("وتيك" starts the alias "وتيك تك",
				// and "وتيك توك" is و + "تيك توك"), or one that starts a one-word
				// name, for the article on a name of two words: "الواتس اب" is ال +
				// "واتس اب", not "الواتس" and Urdu's "now".
				longer := aliasBest >= 0
				for _, pre := range arabicPrefixes {
					if len(key) > len(pre)+3 && string(key[:len(pre)]) == pre && r.mayHave(key[len(pre):]) {
						matched := false
						for _, id := range r.index[string(key[len(pre):])] {
							if longer && (r.phrases[id].cat != catAlias || len(r.phrases[id].toks) == 1) {
								continue
							}
							if n := m.follows(sc, i, id); n > 0 && (!longer || n > aliasLen) {
								consider(id, n)
								matched = true
							}
						}
						if matched {
							break // the longest clitic that leaves a known phrase: والكل راح, not وال + كل
						}
					}
				}
			}
			if aliasBest < 0 && len(key) >= 4 {
				// Suffixes on names: whatsappnya, telegramga, Зумда, নেটফ্লিক্সে
				for _, suf := range suffixesByLast[key[len(key)-1]] {
					if hasNameSuffix(key, suf) && r.mayHave(key[:len(key)-len(suf)]) {
						for _, id := range r.prefixed[string(key[:len(key)-len(suf)])] {
							if len(r.phrases[id].toks) == 1 {
								consider(id, 1)
							}
						}
						if aliasBest >= 0 {
							break
						}
					}
				}
			}
			if aliasBest < 0 && len(key) >= 5 && len(key) <= 16 && t.fl&tkHash == 0 {
				if id := m.fuzzy(key); id >= 0 {
					consider(id, 1)
				}
			}
		}
		if aliasBest >= 0 && i >= aliasNext && !codeAfter(b, toks[i+aliasLen-1].e) && (r.phrases[aliasBest].plain == "" || sc.writesPlain(r.phrases[aliasBest].plain)) {
			p := &r.phrases[aliasBest]
			sc.mentions = append(sc.mentions, mention{svc: p.svc, pos: int32(i), end: int32(i + aliasLen), sent: t.sent, hg: t.hg, cgroup: p.cgroup, strict: p.strict, device: p.device, wordIn: p.langs, dest: cjkDest})
			aliasNext = i + aliasLen
			if t.fl&tkCJK != 0 {
				sc.listedInRun(r, key, t, p.svc)
			}
			if t.fl&tkTracker != 0 {
				// A link to an outage tracker's page of the service asks
				// whether it is down ("downdetector.com/status/whatsapp 👀").
				sc.intents = append(sc.intents, intent{cat: catOutage, pos: int32(i), end: int32(i + 1), sent: t.sent, hg: t.hg})
			}
		}
		if intentBest >= 0 && r.phrases[intentBest].cat == catOnlyMe && !sc.question(r, t.sent) {
			// "only me?" asks whether a service is down; "nur bei mir geht
			// es" says nothing of it.
			intentBest = -1
		}
		if intentBest >= 0 && i >= intentNext {
			p := &r.phrases[intentBest]
			for k := i; k < i+intentLen; k++ {
				sc.marks[k] |= mkIntent
			}
			if p.cat != catNegation {
				cat := p.cat
				if cat == catNamed || cat == catOnlyMe {
					cat = catOutage
				}
				sc.intents = append(sc.intents, intent{cat: cat, pos: int32(i), end: int32(i + intentLen), sent: t.sent, hg: t.hg, langs: p.langs})
			} else {
				negated = true
			}
			intentNext = i + intentLen
		} else if cjkNeg && i >= intentNext {
			// Thai and other unspaced scripts: "ดูไม่ได้", verb then "cannot".
			sc.intents = append(sc.intents, intent{cat: catOutage, pos: int32(i), end: int32(i + 1), sent: t.sent, hg: t.hg})
			sc.marks[i] |= mkIntent
		}
		if ownBest >= 0 && i >= ownNext {
			p := &r.phrases[ownBest]
			sc.intents = append(sc.intents, intent{cat: p.cat, pos: int32(i), end: int32(i + ownLen), sent: t.sent, hg: t.hg, category: p.category, shared: p.shared})
			ownNext = i + ownLen
		}
	}
	if len(sc.mentions) == 0 {
		return false
	}
	sc.readTypos(r)
	if supposing && cancel {
		// a post negation the poster guessed ("думал, у меня инет отвалился,
		// а это телеграм лежит", "internetim gitti sandım")
		cancel = sc.dropSupposedCancels()
	}
	if sc.keepOwnTerms(r) {
		cancel = true
	}
	sc.dropPastInPresent()
	// A present cue inside a recovery term ("works now") says nothing of
	// the outage, nor does one that is a word of a longer past cue ("still
	// bitter about", "still traumatized").
	for i := range toks {
		if sc.marks[i]&mkPresent != 0 && !inRecovery(sc.intents, i) && !sc.inPastCue(int32(i)) {
			sc.present = append(sc.present, int32(i))
		}
	}
	// A negated "works" ("не работает", "funktioniert bei mir nicht") says
	// nothing works: the term is dropped and its verb left to the negator. So
	// is one asked ("insta chal raha hai kisi ka?") or in the past ("fine five
	// minutes ago, now nothing loads").
	kept := sc.intents[:0]
	for _, in := range sc.intents {
		if in.cat == catFine && (sc.negatedSpan(int(in.pos), int(in.end), 0) || sc.asked(int(in.end)) || sc.isPast(in)) {
			for k := in.pos; k < in.end; k++ {
				sc.marks[k] &^= mkIntent
			}
			continue
		}
		if in.cat == catRecovery && (sc.negatedClose(int(in.pos), int(in.end)) || sc.awaited(r, in)) {
			// "not fixed", "no ha vuelto", "ainda não voltou": it is not back;
			// nor is it in "when will it be back?", "언제 복구돼?".
			in.cat = catOutage
		}
		kept = append(kept, in)
	}
	sc.intents = kept
	// An outage word right next to a recovery term is what was fixed ("fixed the
	// outage", "outage resolved", "تم اصلاح عطل", "تم حل مشكلة"): the news is
	// the recovery.
	kept = sc.intents[:0]
	for _, in := range sc.intents {
		if in.cat != catOutage || !sc.fixedBeside(in) {
			kept = append(kept, in)
		}
	}
	sc.intents = kept
	// Negator, a few words, potential marker: "cannot" (vi "ko vào lớp được",
	// "hông load được"), whatever the verb.
	for v := range toks {
		if sc.marks[v]&mkPotential == 0 || sc.marks[v]&mkIntent != 0 || sc.inMention(v) {
			continue // ("tô no dc agora": "dc" is Discord there)
		}
		for k := v - 1; k >= 0 && k >= v-potentialSpan && toks[k].sent == toks[v].sent; k-- {
			if sc.marks[k]&mkIntent != 0 {
				break
			}
			if sc.marks[k]&mkNegator != 0 {
				sc.intents = append(sc.intents, intent{cat: catOutage, pos: int32(k), end: int32(v + 1), sent: toks[v].sent, hg: toks[v].hg, langs: sc.plangs[k]})
				break
			}
		}
	}
	// Negator + symptom verb ("not sending", "no carga", "lädt nicht").
	for v := range toks {
		if sc.marks[v]&mkVerb == 0 || sc.marks[v]&mkIntent != 0 {
			continue
		}
		if k, ok := sc.negator(v, v+1, sc.plangs[v]); ok {
			// Its languages are those the two share ("không load được" is
			// Vietnamese, though "load" is English too), and it spans both:
			// in "카톡 안 돼서 인스타로 연락함" the negator is as near the
			// name before it as the verb is to the one after.
			neg := sc.plangs[k]
			langs := sc.plangs[v] & neg
			if langs == 0 {
				langs = sc.plangs[v] | neg
			}
			sc.intents = append(sc.intents, intent{cat: catOutage, pos: int32(min(k, v)), end: int32(max(k, v) + 1), sent: toks[v].sent, hg: toks[v].hg, langs: langs})
		}
	}
	// An outage term just after the poster's own work in its clause ("my code
	// keeps throwing 500 errors", "мой код на питоне падает", "내 코드 컴파일
	// 에러") is about that work.
	if len(sc.ownWork) > 0 {
		kept := sc.intents[:0]
		for _, in := range sc.intents {
			w, ok := sc.aboutOwnWork(in)
			if in.cat != catOutage || !ok {
				kept = append(kept, in)
				continue
			}
			// and the model is not asked to overrule that ("meu TCC cheio de
			// erro e eu aqui rolando WhatsApp"). Not when the poster's own
			// trouble was a wrong guess ("I thought my wifi died, turns out
			// insta is down", "internetim gitti sandım"): the post is about
			// the service.
			if w.cat == catOwnSide && sc.supposed(w, in) {
				// ("my wifi was down": the guess's tense, not the service's)
				sc.past = slices.DeleteFunc(sc.past, func(c int32) bool { return c >= w.pos && c < in.end })
				continue
			}
			negated = true
			if w.cat == catOwnSide && !sc.asked(int(in.end)) && !sc.markedWithin(w.end, in.end, mkNegator) {
				// The poster's own connection, device or card failing is
				// why the services of the post fail for them ("indihome
				// mati dari pagi, ga bisa nonton youtube"): a post negation.
				// Not when it is asked ("الواتس واقع ولا النت عندي اللي
				// بايظ؟") or denied ("mein Internet ist nicht das Problem").
				cancel = true
				sc.cancels = append(sc.cancels, w.pos, in.end)
			}
		}
		sc.intents = kept
	}
	// Korean joins a cause to its consequence with a verb ending (-서, -니까:
	// consequence_endings): "넷플 오류나서 유튜브 봄" (Netflix erred, so I watched
	// YouTube), "카톡 터졌으니까 텔레그램으로 연락해". An outage term whose last
	// word ends so is a consequence term itself.
	for _, in := range sc.intents {
		if in.cat == catOutage && int(in.end) < len(toks) && endsIn(b[toks[in.end-1].s:toks[in.end-1].e], r.conseqEndings) {
			sc.conseq = append(sc.conseq, in.end-1)
		}
	}
	// A post of names and a question mark only ("instagram???", "X???") is
	// someone checking whether the service is down, whichever word its name
	// also is.
	// So is a post that only tags a service's support account ("@snapchatsupport
	// 🙏🙏", "@tiktok_id @TikTokSupport"): a plea to it.
	asked := len(sc.intents) == 0 && !runWords && (bareQuestion(sc.buf, toks, sc.mentions) || supportPlea(sc.buf, toks, sc.mentions))
	// Validate ambiguous aliases: context term anywhere, or a hashtag that
	// also holds an intent term (#xdown).
	ms := sc.mentions[:0]
	for _, mn := range sc.mentions {
		ok := mn.cgroup == 0 || slices.Contains(sc.ctxGroups, mn.cgroup) || sc.toks[mn.pos].fl&(tkMention|tkTracker) != 0 || asked
		if mn.cgroup != 0 && sc.insideTerm(mn) {
			// an ambiguous name that is a word of a longer outage term is
			// that word ("اسپاتیفای هیچی پلی نمیکنه": "doesn't play")
			continue
		}
		if !ok {
			// #xdown, or an intent term right next to it: "x is down"; for a
			// strict alias, one of none of the languages in which the alias is
			// a word ("Teams ligt eruit", "snap ne marche plus"; not "signal is
			// down", "down" being English too)
			for _, in := range sc.intents {
				near := in.sent == mn.sent && in.pos >= mn.end && in.pos-mn.end < ambiguousSpan ||
					in.sent == mn.sent && in.end <= mn.pos && mn.pos-in.end < ambiguousSpan ||
					in.pos < mn.end && in.end > mn.pos
				foreign := mn.wordIn != 0 && in.langs != 0 && in.langs&mn.wordIn == 0
				// An outage term of none of the languages in which the alias
				// is a word, said of it (after it in its clause, as near as a
				// term is read for a service), says the post is not using that
				// word: "Steam dice «si è verificato un errore»", "Outlook sagt
				// nur «Etwas ist schiefgelaufen»"; not "ödevim hata dolu ama
				// ben outlook başındayım", nor "سارا دن Steam ہی چلایا، کوئی اور
				// کام نہیں کیا".
				saidOf := foreign && in.sent == mn.sent && in.pos >= mn.end && in.pos-mn.end < nearDist && !sc.clauseBetween(int(mn.end), int(in.pos))
				if mn.hg != 0 && in.hg == mn.hg || near && (!mn.strict || foreign) || saidOf {
					ok = true
				}
			}
		}
		if ok {
			ms = append(ms, mn)
		}
	}
	// An ambiguous name nothing validated, in a post that names no service
	// otherwise, is kept for the model to judge: the words that would
	// validate it are a list, and people complain in others ("X geeft alleen
	// maar 'Er is iets misgegaan'", "Ist Teams gerade bei euch auch tot?").
	// decide keeps it only when the model is confident the post complains
	// about it. Not when a term of the post is of a language in which the
	// name is a word ("the line at the bank hasn't moved"): the post is
	// likelier using the word. (Nothing was kept above, so sc.mentions is as
	// scanned.)
	if len(ms) == 0 && (m.model != nil || m.keepTentative) {
		for _, mn := range sc.mentions {
			if mn.cgroup != 0 && !sc.insideTerm(mn) && !sc.termInWordLang(mn) {
				mn.tentative = true
				ms = append(ms, mn)
			}
		}
	}
	// A service named just after a displacement phrase is where people went
	// ("insta is down so back to tiktok"), not the one failing; nor is one
	// named just after a not-name term ("liegt nicht an Spotify oder YouTube,
	// die Telekom hat eine Störung", "bukan WA atau IG yg error"), and the
	// names listed with either are what they are (decide).
	for k := range ms {
		mn := &ms[k]
		if p := mn.pos - 1; p >= 0 && toks[p].sent == mn.sent && sc.marks[p]&mkNotName != 0 {
			mn.dest = true
			continue
		}
		if p := mn.pos - 1; mn.device && p >= 0 && toks[p].sent == mn.sent && sc.marks[p]&mkPlatform != 0 && namesOther(ms, mn.svc) {
			// A device named as where another service runs ("YouTube op de PS5
			// geeft een fout", "Netflix sur ma Xbox"): the other one is failing.
			mn.dest = true
			continue
		}
		for j := mn.pos - 1; j >= 0 && j >= mn.pos-displaceSpan && toks[j].sent == mn.sent; j-- {
			if sc.marks[j]&mkDisplace != 0 && !sc.outageRightAfter(*mn) && !sc.clauseBetween(int(j)+1, int(mn.pos)) {
				// ("checking ig down apa cuma aku" checks on ig, the one
				// failing; "Zoom dan maar, Teams wil niet": a clause mark
				// ends the displacement)
				mn.dest = true
				break
			}
		}
		// or just before one that follows it, a case ending between them
		// ("bluesky'a döndüm", "Twitterに来た")
		for j := int(mn.end); j < len(toks) && j <= int(mn.end)+1 && toks[j].sent == mn.sent; j++ {
			if sc.marks[j]&mkArrive != 0 && sc.marks[j]&mkIntent == 0 { // ("지메일 안 옴": not come, not came to)
				mn.dest = true
				break
			}
			if j == int(mn.end) && (len(b[toks[j].s:toks[j].e]) > 3 || namedAt(ms, j)) {
				break // a word or another name, not a case ending ("インスタ落ちてるからXに来た")
			}
		}
	}
	if asked && len(ms) > 0 {
		sc.intents = append(sc.intents, intent{cat: catOutage, pos: ms[0].pos, end: ms[0].end, sent: ms[0].sent})
	}
	sc.mentions = ms
	sc.probs = probs
	sc.cancel = cancel
	sc.negated = negated
	sc.bare = !runOther && sc.onlyNamesAndTerms()
	return len(ms) > 0
}

// namedAt reports whether one of ms names a service at token j (scan's
// validated names, before they are sc.mentions).
func namedAt(ms []mention, j int) bool {
	for _, mn := range ms {
		if int(mn.pos) <= j && j < int(mn.end) {
			return true
		}
	}
	return false
}

// follows reports the number of tokens phrase id covers starting at token i
// (0 if it does not match there).
func (m *Matcher) follows(sc *scratch, i int, id int32) int {
	p := &m.r.phrases[id]
	if i+len(p.toks) > len(sc.toks) {
		return 0
	}
	skip := 0 // an adverb inside the phrase ("sluit zichzelf gewoon af", "fica só rodando")
	for k := 1; k < len(p.toks); k++ {
		j := i + k + skip
		if j >= len(sc.toks) {
			return 0
		}
		t := &sc.toks[j]
		if t.fl&(tkBreak|tkMention) != 0 {
			return 0
		}
		w := sc.buf[t.s:t.e]
		if tokenIs(w, p, k) {
			continue
		}
		if skip == 0 && p.cat != catAlias && t.fl&tkCJK == 0 && m.r.adverbs[string(w)] != 0 {
			skip = 1
			k-- // token k again, one word on
			continue
		}
		return 0
	}
	return len(p.toks) + skip
}

// tokenIs says whether w is the phrase's token k (a prefix, for the last
// token of a prefixLast phrase; with a case ending, for the last token of a
// name).
func tokenIs(w []byte, p *phrase, k int) bool {
	if p.prefixLast && k == len(p.toks)-1 {
		return bytes.HasPrefix(w, []byte(p.toks[k]))
	}
	if string(w) == p.toks[k] {
		return true
	}
	return p.cat == catAlias && k == len(p.toks)-1 && len(w) > len(p.toks[k]) &&
		bytes.HasPrefix(w, []byte(p.toks[k])) && stemLen(w, len(p.toks[k]))
}

// hasNameSuffix reports whether w ends in suf, one of nameSuffixes, after a
// stem long enough to take it (minStem).
func hasNameSuffix(w []byte, suf string) bool {
	return len(w)-len(suf) >= minStem(suf) && string(w[len(w)-len(suf):]) == suf
}

// stemLen reports whether w is a stem of n bytes and one of nameSuffixes.
func stemLen(w []byte, n int) bool {
	for _, suf := range suffixesByLast[w[len(w)-1]] {
		if len(w)-len(suf) == n && hasNameSuffix(w, suf) {
			return true
		}
	}
	return false
}

// unsuffixedHash is the hash of token j's word without a name suffix (0 when
// it has none, or there is no token j).
func (sc *scratch) unsuffixedHash(j int) uint32 {
	if j >= len(sc.toks) {
		return 0
	}
	t := &sc.toks[j]
	w := sc.buf[t.s:t.e]
	if len(w) < 3 {
		return 0
	}
	for _, suf := range suffixesByLast[w[len(w)-1]] {
		if hasNameSuffix(w, suf) {
			return wordHash(w[:len(w)-len(suf)])
		}
	}
	return 0
}

// suffixesByLast holds nameSuffixes by their last byte: most tokens end in a
// byte no suffix ends in.
var suffixesByLast = func() (t [256][]string) {
	for _, suf := range nameSuffixes {
		t[suf[len(suf)-1]] = append(t[suf[len(suf)-1]], suf)
	}
	return
}()

// minStem is the shortest word a suffix is stripped from: Indonesian
// possessives attach to short names (IGnya, WAku), the Turkish locatives
// (instagramda, twitterdan) only to longer ones.
func minStem(suf string) int {
	switch {
	case suf == "nya" || suf == "ku" || suf == "mu":
		return 2
	case suf[0] >= utf8.RuneSelf:
		return 6 // three Cyrillic letters, two Bengali ones
	}
	return 4
}

// Companies put words around a service's name in their accounts' handles:
// @AskPlayStation, @SteamSupport, @Uber_India, @TeamYouTube, @NetflixBrasil.
// Longer suffixes come first, so "helps" is tried before "help".
var (
	handlePrefixes = []string{"ask", "team", "get"}
	handleSuffixes = append(slices.Clone(supportSuffixes), "official", "indonesia", "brasil", "brazil", "mexico", "espana",
		"france", "turkiye", "arabia", "arabic", "global", "india", "japan",
		"news", "app", "usa", "ksa", "uk", "us", "es", "br", "mx", "jp", "de", "fr", "tr", "id", "hq",
		"italia", "italy", "polska", "nederland", "deutschland", "mena", "latam", "africa", "europe", "nigeria",
		"kenya", "pakistan", "bangladesh", "vietnam", "thailand", "malaysia", "philippines", "korea", "egypt",
		"gulf", "uae", "it", "nl", "pl", "ro", "ru", "ua", "in", "ph", "vn", "th", "my", "kr", "tw", "hk", "sg",
		"au", "ca", "za", "ng", "ke", "eg", "pk", "bd", "eu", "mex", "arg", "col", "chile", "peru", "bra", "esp", "ita", "ger",
		"ar", "en", "pt", "ja", "ko", "zh", "hi", "fa", "sa", "ae", "sw", "ms", "vi", "tl", "bn", "ur", "uz", "lat") // languages and regions: @Snapchat_ar, @NetflixLAT
	// a support account's words ("helps" before "help")
	supportSuffixes = []string{"support", "status", "cares", "helps", "help", "care"}
)

// handleCore returns the name inside a handle once a known prefix and up to two
// known suffixes (and an underscore beside them) are taken off: the first of
// those cores that known accepts, or nil when none is. Each is tried in turn,
// so a suffix is taken off only when the name without it is not known
// (@ChatGPTapp is chatgpt, not "chatg" with a language code "pt" off it).
func handleCore(key []byte, known func([]byte) bool) []byte {
	core := key
	for _, p := range handlePrefixes {
		if len(core) > len(p)+2 && string(core[:len(p)]) == p {
			core = core[len(p):]
			break
		}
	}
	// Up to two suffixes: @LINEjp_official, @netflix_in_help.
	for k := 0; ; k++ {
		if c := bytes.Trim(core, "_"); len(c) != len(key) && len(c) >= 3 && known(c) {
			return c
		}
		if k == 2 {
			return nil
		}
		core = bytes.TrimRight(core, "_")
		stripped := false
		for _, x := range handleSuffixes {
			if len(core) > len(x)+2 && string(core[len(core)-len(x):]) == x {
				core, stripped = core[:len(core)-len(x)], true
				break
			}
		}
		if !stripped {
			return nil
		}
	}
}

// tokHash is the hash of token j's word that Rules.second holds for second
// words (0 when there is no token j).
func tokHash(sc *scratch, j int) uint32 {
	if j >= len(sc.toks) {
		return 0
	}
	t := &sc.toks[j]
	return wordHash(sc.buf[t.s:t.e])
}

// dropPastInPresent drops the past cues inside a present cue, or a few words
// after one in its clause: "desde anoche", "since last night", "sinds 6 uur
// vanochtend", "since kaninang umaga" say when a failure that goes on began,
// whatever "anoche" says alone.
func (sc *scratch) dropPastInPresent() {
	if len(sc.past) == 0 {
		return
	}
	kept := sc.past[:0]
	for _, c := range sc.past {
		inside := false
		for k := 0; k+1 < len(sc.presentCov); k += 2 {
			if c > sc.presentCov[k] && c < sc.presentCov[k+1] {
				inside = true
				break
			}
		}
		for j := c - 1; !inside && j >= 0 && j >= c-sinceSpan && sc.toks[j].sent == sc.toks[c].sent; j-- {
			if bytes.ContainsAny(sc.buf[sc.toks[j].e:sc.toks[j+1].s], commaMarks) || sc.marks[j]&mkIntent != 0 {
				break
			}
			inside = sc.marks[j]&mkPresent != 0
		}
		if !inside {
			kept = append(kept, c)
		}
	}
	sc.past = kept
}

// inPastCue reports whether token i is a word of a past cue of several words
// that starts at it or before it.
func (sc *scratch) inPastCue(i int32) bool {
	for k := 0; k+1 < len(sc.pastCov); k += 2 {
		if sc.pastCov[k] <= i && i < sc.pastCov[k+1] && !sc.presentAt(i, sc.pastCov[k+1]) {
			return true
		}
	}
	return false
}

// presentAt reports whether a present cue of several words starts at token i
// and reaches end or beyond ("since last night" holds "last night").
func (sc *scratch) presentAt(i, end int32) bool {
	for k := 0; k+1 < len(sc.presentCov); k += 2 {
		if sc.presentCov[k] == i && sc.presentCov[k+1] >= end {
			return true
		}
	}
	return false
}

// ownCovers reports whether CJK hit h lies within the hit of a category's own
// outage term.
func ownCovers(r *Rules, hits []cjkHit, h cjkHit) bool {
	for _, o := range hits {
		if p := &r.phrases[o.id]; p.cat == catOutage && p.category != 0 && o.s <= h.s && o.e >= h.e {
			return true
		}
	}
	return false
}

// keepOwnTerms drops the intents of categories' own terms unless the post names
// a service of that category: for every other service they are not words at
// all, and must not validate an ambiguous name or make a post look like a
// complaint. The outage terms of a category whose trouble is the poster's own
// (power: "power cut, so no netflix tonight") are post negations for the
// services not of it: it reports whether it found one.
func (sc *scratch) keepOwnTerms(r *Rules) (cancel bool) {
	for _, in := range sc.intents {
		if in.category != 0 && in.cat == catOutage && !in.shared && r.posterSide[in.category] {
			cancel = true
			sc.cancels = append(sc.cancels, in.pos, in.end)
		}
	}
	var named [4]uint8 // the categories named (a post names few)
	n := 0
	for _, mn := range sc.mentions {
		if c := r.category[mn.svc]; c != 0 && n < len(named) && !slices.Contains(named[:n], c) {
			named[n] = c
			n++
		}
	}
	kept := sc.intents[:0]
	for _, in := range sc.intents {
		if in.category == 0 || slices.Contains(named[:n], in.category) {
			kept = append(kept, in)
		}
	}
	sc.intents = kept
	return cancel
}

// inMention reports whether token i is part of a service name found.
func (sc *scratch) inMention(i int) bool { return namedAt(sc.mentions, i) }

// Marks that end a clause (with their Arabic and CJK forms), and the commas
// and semicolons among them.
const (
	clauseMarks = ",;:!?.،؛؟，；：！？。"
	commaMarks  = ",;，；、،؛"
)

// termInWordLang reports whether an intent term of the post is of a language
// in which the ambiguous name mn is an ordinary word.
func (sc *scratch) termInWordLang(mn mention) bool {
	for _, in := range sc.intents {
		if in.langs&mn.wordIn != 0 {
			return true
		}
	}
	return false
}

// clauseBetween reports whether a clause mark stands between the token before
// from and token to.
func (sc *scratch) clauseBetween(from, to int) bool { return sc.markBetween(from, to, clauseMarks) }

// markBetween reports whether one of marks stands between the token before
// from and token to.
func (sc *scratch) markBetween(from, to int, marks string) bool {
	for k := max(from, 1); k <= to && k < len(sc.toks); k++ {
		if bytes.ContainsAny(sc.buf[sc.toks[k-1].e:sc.toks[k].s], marks) {
			return true
		}
	}
	return false
}

// markedWithin reports whether a token in [from, to) carries mark m.
func (sc *scratch) markedWithin(from, to int32, m uint16) bool {
	for k := from; k < to; k++ {
		if sc.marks[k]&m != 0 {
			return true
		}
	}
	return false
}

// insideTerm reports whether an outage term of more words starts with mention
// mn's words ("پلی نمیکنه", "doesn't play").
func (sc *scratch) insideTerm(mn mention) bool {
	for _, in := range sc.intents {
		if in.cat == catOutage && in.pos == mn.pos && in.end > mn.end {
			return true
		}
	}
	return false
}

// nameEndsBefore reports whether a service named ends right before token i.
// (During the scan that is the name just read; after it, any of the post's.)
func nameEndsBefore(sc *scratch, i int) bool {
	for k := len(sc.mentions) - 1; k >= 0; k-- {
		if sc.mentions[k].end == int32(i) {
			return true
		}
	}
	return false
}

// markPair marks token i as a negator, post-negator or verb (mk) of the
// languages langs: the pairs of such words are read after the scan.
func (sc *scratch) markPair(i int, mk uint16, langs uint64) {
	sc.marks[i] |= mk
	sc.plangs[i] |= langs
}

// adverbAfterName reports whether token i follows a name with one adverb of the
// languages langs between them, in one phrase: a name term of those languages
// said of the name through it ("telegram yana tormoz", "insta totally dead",
// "discord znowu leży"; not Indonesian "lagi" before French "rame").
func (r *Rules) adverbAfterName(sc *scratch, i int, langs uint64) bool {
	return sc.oneWordAfterName(i) && r.adverbAt(sc, i-1)&langs != 0
}

// adverbAt returns the languages of the adverb token j is (0: none).
func (r *Rules) adverbAt(sc *scratch, j int) uint64 {
	return r.adverbs[string(sc.buf[sc.toks[j].s:sc.toks[j].e])]
}

// oneWordAfterName reports whether token i follows a name with one word
// between them, in one phrase.
func (sc *scratch) oneWordAfterName(i int) bool {
	return i >= 2 && sc.toks[i].fl&tkBreak == 0 && sc.toks[i-1].fl&(tkBreak|tkCJK) == 0 && nameEndsBefore(sc, i-1)
}

// copulas are "is" in the languages whose name terms may stand after one: a
// name term said of a name through its copula is said of it ("Snap est lent",
// "WhatsApp está muertísimo"), and in German and Dutch the term
// ends the clause, after the adverbs ("Teams ist bei uns seit heute Morgen
// tot", "Insta is sinds vanochtend helemaal plat"), or the copula opens a
// question ("Ist Teams gerade bei jemandem langsam?").
var copulas = map[string]bool{"ist": true, "sind": true, "is": true, "zijn": true, "est": true, "esta": true, "es": true,
	"ta": true, "e": true, "jest": true}

// How far after a copula such a name term may stand: in German and Dutch, and
// elsewhere.
const (
	predicateSpan = 6
	predicateNear = 2
)

// predicateOfName reports whether a name term of the languages langs at token i
// is the predicate of the last service named: the name followed by a copula,
// and the term within predicateNear words of the name's end in its clause; in
// German and Dutch, where the term ends the clause, predicateSpan words, and
// the copula may also stand right before the name (a question).
func (sc *scratch) predicateOfName(i int, langs uint64) bool {
	k := len(sc.mentions)
	if k == 0 {
		return false
	}
	mn := sc.mentions[k-1]
	from := int(mn.end)
	at, span := from, predicateNear // the copula: after the name,
	if langs&sc.finalNeg != 0 {
		span = predicateSpan
		if p := int(mn.pos) - 1; p >= 0 && sc.toks[p].sent == mn.sent && sc.copulaAt(p) {
			at = p // or, in a German or Dutch question, before it
		}
	}
	if from >= i || i-from > span || sc.toks[at].sent != sc.toks[i].sent || at == from && !sc.copulaAt(at) {
		return false
	}
	return !sc.clauseBetween(from, i)
}

// copulaAt reports whether token j is one of copulas.
func (sc *scratch) copulaAt(j int) bool { return copulas[string(sc.buf[sc.toks[j].s:sc.toks[j].e])] }

// supposeSpan: a supposition term counts for the poster's own trouble named up
// to this many words after it ("I thought it was my wifi"), or, in the
// languages that put the verb last, right after its outage term
// ("internetim gitti sandım", "internet ishlamayapti deb o'ylabman").
const supposeSpan = 3

// supposedBefore reports whether a supposition term ends before token i, in its
// sentence, with at most supposeSpan words between.
func (sc *scratch) supposedBefore(i int) bool {
	for k := i - 1; k >= 0 && k >= i-supposeSpan-1 && sc.toks[k].sent == sc.toks[i].sent; k-- {
		if sc.marks[k]&mkSuppose != 0 {
			return true
		}
	}
	return false
}

// supposed reports whether the poster's own trouble w, said by outage term in,
// is a wrong guess: a supposition term before w or right after in.
func (sc *scratch) supposed(w, in intent) bool {
	return sc.supposedBefore(int(w.pos)) || sc.supposedAfter(int(in.end))
}

// dropSupposedCancels drops the post negations of spaced script that a
// supposition term stands right before or after, and reports whether any is
// left.
func (sc *scratch) dropSupposedCancels() bool {
	kept := sc.cancels[:0]
	for k := 0; k+1 < len(sc.cancels); k += 2 {
		s, e := sc.cancels[k], sc.cancels[k+1]
		if e > s && sc.toks[s].fl&tkCJK == 0 && (sc.supposedBefore(int(s)) || sc.supposedAfter(int(e))) {
			continue
		}
		kept = append(kept, s, e)
	}
	sc.cancels = kept
	return len(kept) > 0
}

// supposedAfter reports whether a supposition term starts at token end (the end
// of a phrase) or at most supposeSpan-1 words after it, in the phrase's sentence.
func (sc *scratch) supposedAfter(end int) bool {
	for k := end; k < min(end+supposeSpan, len(sc.toks)) && sc.toks[k].sent == sc.toks[end-1].sent; k++ {
		if sc.marks[k]&mkSuppose != 0 {
			return true
		}
	}
	return false
}

// nameWithin reports whether a service is named within the tokens [from, to).
func (sc *scratch) nameWithin(from, to int32) bool {
	for _, mn := range sc.mentions {
		if mn.pos >= from && mn.pos < to {
			return true
		}
	}
	return false
}

// aboutOwnWork reports whether an outage intent is said of the poster's own
// work or own side (own_work_terms, own_side_terms): it starts within
// ownWorkSpan words after such a term, in the same clause and with no service
// named between ("my wifi is fine but whatsapp won't load" is WhatsApp's; in a
// CJK or Thai run that names no service, the same run: "โค้ดงานกลุ่มerror"). Not one
// before it: "chatgpt down lagi, tugas gw gimana" is the service's outage and
// its effect on the work. Nor one that a with term and a service name follow:
// "my phone has issues with insta" is Instagram's trouble.
func (sc *scratch) aboutOwnWork(in intent) (intent, bool) {
	if sc.troubleWith(in) {
		return intent{}, false // "جوالي فيه مشكلة مع الواتس", "my phone has issues with insta"
	}
	for _, w := range sc.ownWork {
		if w.sent != in.sent || w.hg != in.hg || w.cat == catOwnSide && sc.nameWithin(w.pos, w.end) {
			// (a hashtag is a statement of its own: "جوالي #downdetector" is no
			// trouble of the phone; a provider the rules follow as a service is
			// complained of: "Jio down hai" where Jio is one)
			continue
		}
		if w.pos == in.pos && sc.toks[w.pos].fl&tkCJK != 0 && !sc.nameWithin(w.pos, w.pos+1) ||
			in.pos >= w.end && in.pos-w.end < ownWorkSpan && !sc.clauseBetween(int(w.end), int(in.pos)) && !sc.nameWithin(w.end, in.pos) {
			return w, true
		}
	}
	return intent{}, false
}

// troubleWith reports whether outage term in ends with a with term or is
// followed, in its clause, by one (a word may stand between), and a service is
// named right after it ("Probleme mit WhatsApp", "مشكلة مع الواتس"): the
// trouble is that service's, whoever's phone it shows on.
func (sc *scratch) troubleWith(in intent) bool {
	for k := int(in.end) - 1; k < min(int(in.end)+2, len(sc.toks)-1); k++ {
		if sc.toks[k].sent != sc.toks[in.end-1].sent || k >= int(in.end) && sc.clauseBetween(int(in.end), k) {
			return false
		}
		if sc.marks[k]&mkWith != 0 {
			return sc.nameWithin(int32(k+1), int32(k+2))
		}
	}
	return false
}

// codeAfter reports whether a name ending at byte e is the prefix of an error
// code or a model number, a hyphen and a digit right after it ("WS-37397-9"
// of PlayStation, "CE-34878-0"): not a name.
func codeAfter(b []byte, e int32) bool {
	return int(e)+1 < len(b) && b[e] == '-' && b[e+1] >= '0' && b[e+1] <= '9'
}

// endsIn reports whether the word w ends in one of the endings, a letter or more
// of it before (the ending is not the whole word).
func endsIn(w []byte, endings [][]byte) bool {
	for _, e := range endings {
		if len(w) > len(e) && bytes.HasSuffix(w, e) {
			return true
		}
	}
	return false
}

// namesOther reports whether a mention names a service other than svc.
func namesOther(ms []mention, svc int32) bool {
	for _, mn := range ms {
		if mn.svc != svc {
			return true
		}
	}
	return false
}
