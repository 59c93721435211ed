// The decision: intents assigned to the services named near them, with
// negation, tense and questions weighed and the model's second opinion; one
// Match per service.

package match

import (
	"bytes"
	"slices"
)

// A cue in another sentence counts as this much farther away than one in
// the same sentence.
const otherSentence = 1000

// decide assigns each intent to the nearest service named near it and
// appends one Match per service.
func (m *Matcher) decide(sc *scratch, dst []Match) []Match {
	ns := len(m.r.services)
	if cap(sc.outD) < ns {
		sc.outD = make([]int32, ns)
		sc.recD = make([]int32, ns)
		sc.pastD = make([]int32, ns)
		sc.outP = make([]int32, ns)
		sc.fineD = make([]int32, ns)
		sc.recP = make([]int32, ns)
		sc.causeOf = make([]bool, ns)
		sc.seen = make([]bool, ns)
	}
	outD, recD, pastD, seen := sc.outD[:ns], sc.recD[:ns], sc.pastD[:ns], sc.seen[:ns]
	outP, recP, fineD, causeOf := sc.outP[:ns], sc.recP[:ns], sc.fineD[:ns], sc.causeOf[:ns]
	const none = 1 << 30
	// Only the services named in this post are touched (and reset after).
	touched := sc.touched[:0]
	for _, mn := range sc.mentions {
		if !seen[mn.svc] {
			seen[mn.svc] = true
			outD[mn.svc], recD[mn.svc], pastD[mn.svc] = none, none, none
			outP[mn.svc], recP[mn.svc], fineD[mn.svc] = none, none, none
			causeOf[mn.svc] = false
			touched = append(touched, mn.svc)
		}
	}
	slices.Sort(touched)
	sc.touched = touched
	defer func() {
		for _, s := range touched {
			seen[s] = false
		}
	}()
	ms := sc.mentions
	// Services listed together ("whatsapp, instagram and facebook") share
	// intents: group mentions separated only by punctuation or a connector.
	for k := range ms {
		seen[ms[k].svc] = true
		ms[k].group = int32(k)
		if k > 0 {
			gap := ms[k].pos - ms[k-1].end
			clause := sc.marks[ms[k-1].end-1]&mkRunTail != 0
			if ms[k].listed && ms[k].pos == ms[k-1].pos ||
				ms[k].sent == ms[k-1].sent && ms[k].hg == 0 && ms[k-1].hg == 0 && !clause && (gap == 0 || gap <= 2 && sc.connectorsOnly(ms[k-1].end, ms[k].pos)) {
				ms[k].group = ms[k-1].group
				ms[k].dest = ms[k].dest || ms[k-1].dest
			}
		}
	}
	for _, t := range sc.together {
		sc.joinTogether(t)
	}
	distinct := len(touched)
	for _, in := range sc.intents {
		if distinct > 1 && in.hg != 0 && !hashtagNames(ms, in.hg) {
			// A bare intent hashtag (#down, #outage) in a post naming
			// several services says nothing about which one is down.
			continue
		}
		best, bestD := -1, int32(none)
		for k, mn := range ms {
			if mn.dest {
				continue
			}
			if in.cat == catOutage && sc.acrossCause(in, mn) {
				// "BeReal est en panne donc tout le monde débarque sur Discord",
				// "my code keeps throwing errors so I'm on YT": what fails is
				// the cause, the service named in its consequence is where
				// people are; even in a post naming one service (and the
				// model is not asked to overrule that).
				causeOf[mn.svc] = true
				continue
			}
			if c := m.r.category[mn.svc]; in.category != 0 && in.category != c ||
				in.cat == catOutage && sc.cancel && (c == 0 || !sc.absorbed(c)) {
				// A category's own term counts for its services only; a post
				// negation cancels outage terms except for a service whose
				// category's own terms cover it ("no power" is the poster's
				// own trouble for an app, the complaint for a power company).
				continue
			}
			if in.cat == catFine && !sc.subjectOf(mn, in) {
				continue
			}
			var d int32
			before := mn.pos < in.pos
			switch {
			case in.hg != 0 && in.hg == mn.hg:
				d = 0
			case in.pos >= mn.end:
				d = in.pos - mn.end + 1
			case in.end <= mn.pos:
				d = mn.pos - in.end + 1
			default:
				d = 0
			}
			if distinct > 1 && d > nearDist && (d > sentDist || in.sent != mn.sent) {
				continue
			}
			if !before && mn.sent > in.sent {
				// A name opening a later sentence begins another statement
				// ("youtube won't load, black screen. staying on tiktok").
				d += nearDist
			} else if !before && mn.pos >= in.end && (bytes.ContainsAny(sc.buf[sc.toks[in.end-1].e:sc.toks[mn.pos].s], commaMarks) ||
				endsIn(sc.buf[sc.toks[in.end-1].s:sc.toks[in.end-1].e], m.r.clauseEndings) ||
				in.langs != 0 && in.langs&^m.r.verbLast == 0) {
				// and one after a clause mark begins another clause
				// ("snapchat keeps crashing, insta is fine"; Korean ends such a
				// clause with its verb, clause_endings: "스레드 글이 안 올라가는데
				// 인스타는 멀쩡함"), as does one after a term of a language that
				// puts the verb last, after what it is said of
				// ("Teams落ちてる？会議入れないって上司からLINE来た": the boss's
				// message came by LINE)
				d += nearDist / 2
			}
			if d < bestD || d == bestD && before {
				best, bestD = k, d
			}
		}
		if best < 0 {
			continue
		}
		g := ms[best].group
		if in.sent != ms[best].sent {
			// Across a sentence end, a term is farther from its name than
			// any in the name's own sentence ("ig won't post, keeps erroring.
			// fb is fine": the error is not fb's).
			bestD += otherSentence
		}
		pres := int32(none)
		if len(sc.present) > 0 {
			pres = sc.nearest(sc.present, in)
		}
		for _, mn := range ms {
			if mn.group != g {
				continue
			}
			switch {
			case in.cat == catOutage && sc.isPast(in):
				pastD[mn.svc] = min(pastD[mn.svc], bestD)
			case in.cat == catFine:
				fineD[mn.svc] = min(fineD[mn.svc], bestD)
			case in.cat == catOutage:
				outD[mn.svc] = min(outD[mn.svc], bestD)
				outP[mn.svc] = min(outP[mn.svc], pres)
			default:
				recD[mn.svc] = min(recD[mn.svc], bestD)
				recP[mn.svc] = min(recP[mn.svc], pres)
			}
		}
	}
	// The model reads the post once for each service it names, that service's
	// names masked apart from the others; not for a service named as where
	// people went (the rules' displacement decides those).
	// A post of names and terms only is left to the rules: the model would
	// judge the terms alone, whose n-grams it may have learnt from other
	// words ("장애" of "장애인").
	// The model may turn a mention into a complaint only when the rules found
	// nothing against one: a negation ("isn't down") or a post negation
	// ("stock is down", "imagine if").
	mayUpgrade := !sc.cancel && !sc.negated
	// Services listed together are read alike: one reading serves them all.
	var readFor uint64
	var p float32
	var class int
	for _, s := range touched {
		mt := Match{Service: m.r.services[s].Name, Kind: Mention}
		switch {
		case fineD[s] <= outD[s] && fineD[s] < recD[s]:
			// Said to work ("youtube won't load, insta is fine"), nearer than
			// any outage term, or as near as one before the name (the
			// predicate after a name is its own: "BeReal死んでるけどTwitterは
			// 元気"): a mention.
		case outD[s] < none && outD[s] < recD[s]:
			mt.Kind = Outage
		case outD[s] < none && outP[s] < recP[s] && outP[s] < otherSentence:
			// Both, and a present cue is nearer the outage ("back for five
			// minutes and dead again", "they say it's fixed, still can't log
			// in"): the outage is the news.
			mt.Kind = Outage
		case recD[s] < none:
			mt.Kind = Recovery
		case pastD[s] < none:
			mt.Kind = Past
		}
		tentative := sc.tentativeOnly(s)
		if tentative {
			if m.model == nil {
				if m.keepTentative {
					dst = append(dst, mt) // training reads the rules' kind
				}
				continue
			}
			mt.Kind = tentativeKind(mt.Kind)
		}
		// The model was trained on the apps and sites the general vocabulary
		// is written for; a category's services are left to the rules, as is
		// what the model cannot read (rulesOwn).
		asks := m.model != nil && !sc.bare && m.r.category[s] == 0 && !sc.isDest(s) &&
			(mt.Kind == Outage || mt.Kind == Mention && mayUpgrade && fineD[s] == none && !causeOf[s]) &&
			!sc.rulesOwn(s, mt.Kind == Outage && recD[s] == none && pastD[s] == none)
		if asks {
			if g := sc.groupsOf(s); g != readFor {
				var others bool
				sc.feats, others = m.features(sc, sc.feats[:0], g)
				// (a tentative name's post names no service otherwise, so the reading serves them all)
				p, class, readFor = m.model.prob(sc.feats), sc.classFor(s, sc.feats, others), g
			}
			mt.Kind = m.second(sc, mt.Kind, p, class)
		}
		if tentative && mt.Kind != Outage {
			// An ambiguous name nothing validated names the service only as
			// a complaint the model is confident of.
			continue
		}
		if mt.Kind == Outage {
			mt.Problems = m.r.problemList(sc.probs)
		}
		dst = append(dst, mt)
	}
	return dst
}

// connectorsOnly reports whether every token in [from, to) is a connector or
// an article ("Outlook y el Teams", "o Outlook e o Teams").
func (sc *scratch) connectorsOnly(from, to int32) bool {
	for k := from; k < to; k++ {
		if sc.marks[k]&mkConnector == 0 {
			return false
		}
	}
	return to > from
}

// joinTogether makes one listing group of the services said to share a fate
// by the together term at token t ("insta e face caídos ao mesmo tempo",
// "Teamsもslackも同時に落ちてて", "both insta and fb won't load"): the names
// before it in its sentence (or right after it, when it comes first), back
// to the first one followed by a term of its own ("whatsapp is down and insta
// and fb both won't load" joins insta and fb, not whatsapp).
func (sc *scratch) joinTogether(t int32) {
	ms := sc.mentions
	sent := sc.toks[t].sent
	first, last := -1, -1
	for k := range ms {
		if ms[k].sent == sent && ms[k].pos <= t && !ms[k].dest {
			last = k
		}
	}
	if last >= 0 {
		first = last
		for k := last - 1; k >= 0 && ms[k].sent == sent && !ms[k].dest && !sc.intentWithin(ms[k].end, ms[k+1].pos); k-- {
			first = k
		}
	}
	if first == last {
		// "both X and Y": the names that follow it at once
		first, last = -1, -1
		for k := range ms {
			if ms[k].pos == t+1 && ms[k].sent == sent && !ms[k].dest {
				first, last = k, k
				break
			}
		}
		if first < 0 {
			return
		}
		for k := first + 1; k < len(ms) && ms[k].sent == sent && !ms[k].dest && !sc.intentWithin(ms[k-1].end, ms[k].pos); k++ {
			last = k
		}
	}
	for k := first + 1; k <= last; k++ {
		ms[k].group = ms[first].group
	}
}

// intentWithin reports whether an outage, recovery or "works" term lies
// within the tokens [from, to).
func (sc *scratch) intentWithin(from, to int32) bool {
	for _, in := range sc.intents {
		if in.pos >= from && in.end <= to {
			return true
		}
	}
	return false
}

// acrossCause reports whether intent in and mention mn lie on two sides of a
// cause and its consequence in one sentence: the intent before a consequence
// term and the name after it, or the intent in a clause opened by a cause
// term and the name outside that clause. A cause term opens a clause only at
// the start of a sentence or after a clause mark; the clause ends at the next
// clause mark, or with the intent where there is none ("weil BeReal nicht lädt
// bin ich auf Gmail").
func (sc *scratch) acrossCause(in intent, mn mention) bool {
	if in.sent != mn.sent {
		return false
	}
	for _, k := range sc.conseq {
		// (the term may end the intent itself: "sập nên", "안 돼서")
		if sc.toks[k].sent == in.sent && in.end-1 <= k && mn.pos > k {
			return true
		}
	}
	for _, c := range sc.causes {
		if sc.toks[c].sent != in.sent || in.pos <= c || !sc.clauseStart(c) {
			continue
		}
		end := in.end
		for j := c + 1; j < in.end; j++ {
			if sc.clauseStart(j) {
				end = j
				break
			}
		}
		if in.pos < end && (mn.pos < c || mn.pos >= end) {
			return true
		}
	}
	return false
}

// clauseStart reports whether token j starts a sentence or follows a clause mark.
func (sc *scratch) clauseStart(j int32) bool {
	return j == 0 || sc.toks[j-1].sent != sc.toks[j].sent ||
		bytes.ContainsAny(sc.buf[sc.toks[j-1].e:sc.toks[j].s], commaMarks+":")
}

// absorbed reports whether every post negation of the post lies within an own
// term of category c found in it: "power cut" or "hakuna umeme" cancel an
// app's complaint and are a power company's ("정전 예정", a planned cut, still
// cancels).
func (sc *scratch) absorbed(c uint8) bool {
	for k := 0; k+1 < len(sc.cancels); k += 2 {
		s, e := sc.cancels[k], sc.cancels[k+1]
		covered := false
		for _, in := range sc.intents {
			if in.category == c && in.pos <= s && in.end >= e && e > s {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return len(sc.cancels) > 0
}

// fixedBeside reports whether a recovery term stands within fixedSpan tokens of
// outage term in, in its clause.
func (sc *scratch) fixedBeside(in intent) bool {
	for _, o := range sc.intents {
		if o.cat != catRecovery || o.sent != in.sent {
			continue
		}
		var from, to int32 // the gap between the two terms
		switch {
		case o.end <= in.pos:
			from, to = o.end, in.pos
		case in.end <= o.pos:
			from, to = in.end, o.pos
		default:
			continue
		}
		if to-from > fixedSpan || sc.toks[from].fl&tkCJK != 0 || (sc.toks[o.pos].fl|sc.toks[in.pos].fl)&tkCJK != 0 {
			// (in CJK script "fixed the outage" is one run, 障害復旧; a
			// recovery run and an outage run are two clauses: "インスタ復活
			// Threadsは読み込まない")
			continue
		}
		if !bytes.ContainsAny(sc.buf[sc.toks[from-1].e:sc.toks[to].s], ",;，；、.!?،؛؟") {
			return true
		}
	}
	return false
}

// fixedSpan is how many words may stand between a recovery term and the outage
// word it fixed ("fixed the outage").
const fixedSpan = 1

// onlyNamesAndTerms reports whether every token is part of a name or of an
// intent term ("유튜브 장애", "instagram facebook"): such a post gives the model
// nothing beyond the words the rules read already.
func (sc *scratch) onlyNamesAndTerms() bool {
	for i := range sc.toks {
		if sc.marks[i]&mkIntent == 0 && !sc.covers(int32(i)) {
			return false
		}
	}
	return len(sc.toks) > 0
}

// covers reports whether token i is part of a name or an intent.
func (sc *scratch) covers(i int32) bool {
	for _, mn := range sc.mentions {
		if i >= mn.pos && i < mn.end {
			return true
		}
	}
	for _, it := range sc.intents {
		if i >= it.pos && i < it.end {
			return true
		}
	}
	return false
}

// tentativeOnly reports whether service svc is named only by ambiguous names
// nothing validated (mention.tentative).
func (sc *scratch) tentativeOnly(svc int32) bool {
	for _, mn := range sc.mentions {
		if mn.svc == svc && !mn.tentative {
			return false
		}
	}
	return true
}

// foreignName reports whether service svc, named only by ambiguous names, is
// named in a post whose terms (negators, verbs, outage, recovery and "works"
// terms) are of a language in which none of those names is an ordinary word,
// and none of a language in which one is: "steam indirme hızı 0'a düştü,
// sorun bende mi", "Dank je Teams, om precies tijdens m'n presentatie te
// crashen". There the word is the name, and the model need only judge the
// complaint, as for any name; the bar of an ambiguous name (classAmbiguous)
// is for not knowing which it is.
func (sc *scratch) foreignName(svc int32) bool {
	var wordIn uint64
	for _, mn := range sc.mentions {
		if mn.svc == svc {
			if mn.wordIn == 0 {
				return false
			}
			wordIn |= mn.wordIn
		}
	}
	foreign := false
	for _, in := range sc.intents {
		if in.langs&wordIn != 0 {
			return false
		}
		foreign = foreign || in.langs != 0
	}
	for _, l := range sc.plangs { // (the languages of negators, post-negators and verbs)
		if l == 0 {
			continue
		}
		if l&wordIn != 0 {
			return false
		}
		foreign = true
	}
	return foreign
}

// classFor is the model's class of a post read for service svc (postClass), or
// classAmbiguous when only ambiguous names nothing validated name the service,
// unless the post's terms say the word is the name (foreignName). Training
// reads its examples' classes the same way.
func (sc *scratch) classFor(svc int32, feats []uint32, others bool) int {
	if sc.tentativeOnly(svc) && !sc.foreignName(svc) {
		return classAmbiguous
	}
	return postClass(feats, others)
}

// tentativeKind is what the rules' reading of a tentative name counts as: an
// outage term next to a name nothing validated does not make it the service,
// so only the model can turn it into a complaint, as it turns a mention.
func tentativeKind(k Kind) Kind {
	if k == Outage {
		return Mention
	}
	return k
}

// isDest reports whether service svc is named as where people went or look.
func (sc *scratch) isDest(svc int32) bool {
	for _, mn := range sc.mentions {
		if mn.svc == svc && mn.dest {
			return true
		}
	}
	return false
}

// second is the model's second opinion (p, for posts of this class) on what
// the rules made of a post for one service: a mention (one that mayUpgrade
// lets it turn) becomes an outage, or a past outage in a post with a past cue
// and no present one, when the model is confident of a complaint; an outage
// becomes a mention when it is confident of none.
func (m *Matcher) second(sc *scratch, k Kind, p float32, class int) Kind {
	switch {
	case k == Mention && p >= m.model.up[class]:
		if len(sc.past) > 0 && len(sc.present) == 0 {
			return Past
		}
		return Outage
	case k == Outage && p < m.model.veto[class]:
		return Mention
	}
	return k
}

// tracked reports whether service svc is named by a link to an outage
// tracker's page of it: what the link says the model cannot read (it reads
// words, and a link is none), so the rules decide.
func (sc *scratch) tracked(svc int32) bool {
	for _, mn := range sc.mentions {
		if mn.svc == svc && sc.toks[mn.pos].fl&tkTracker != 0 {
			return true
		}
	}
	return false
}

// rulesOwn reports whether the rules' reading of service svc rests on what
// the model, reading words, cannot read: a link to an outage tracker's page of
// it (tracked), or, for a complaint with no recovery or past term (plain), a
// hashtag filing the post under its outage (taggedDown).
func (sc *scratch) rulesOwn(svc int32, plain bool) bool {
	return sc.tracked(svc) || plain && sc.taggedDown(svc)
}

// taggedDown reports whether the post names service svc in its words and
// files itself under the service's outage with a hashtag that names it with
// an outage term ("whatsapp yine mi çöktü #whatsappçöktü"): the poster's own
// report, which the model does not take back. (An advert
// riding the outage's hashtag names the service in the hashtag alone, or not
// as failing: "SMS ilimitados #WhatsAppCaído".)
func (sc *scratch) taggedDown(svc int32) bool {
	inWords, tagged := false, false
	for _, mn := range sc.mentions {
		switch {
		case mn.svc != svc:
		case mn.hg == 0:
			inWords = true
		case !tagged:
			for _, in := range sc.intents {
				if in.cat == catOutage && in.hg == mn.hg {
					tagged = true
					break
				}
			}
		}
	}
	return inWords && tagged
}

// bareQuestion reports whether the post is only service names and a question
// mark.
func bareQuestion(b []byte, toks []token, ms []mention) bool {
	return onlyNames(toks, ms) && hasQuestionMark(b)
}

// supportPlea reports whether the post is only @handles naming services, one of
// them a support account's (@SnapchatSupport, @AskPlayStation, @githubstatus).
func supportPlea(b []byte, toks []token, ms []mention) bool {
	if !onlyNames(toks, ms) {
		return false
	}
	plea := false
	for _, t := range toks {
		if t.fl&tkMention == 0 {
			return false
		}
		plea = plea || supportHandle(b[t.s:t.e])
	}
	return plea
}

// onlyNames reports whether the names cover every token of the post.
func onlyNames(toks []token, ms []mention) bool {
	n := 0
	for _, mn := range ms {
		n += int(mn.end - mn.pos)
	}
	return n == len(toks)
}

// supportHandle reports whether a handle is a support or status account's: a
// support word in it, or the handle prefixes "ask" and "team".
func supportHandle(h []byte) bool {
	for _, w := range supportSuffixes {
		if bytes.Contains(h, []byte(w)) {
			return true
		}
	}
	return bytes.HasPrefix(h, []byte("ask")) || bytes.HasPrefix(h, []byte("team"))
}

// negator reports where a negator of the tokens [pos, end) (a symptom verb, a
// "works" term) stands: up to negSpan tokens before them or a post-negator up
// to postNegSpan after them, in the same sentence and not across a hashtag.
// For a verb of the languages langs (0: any), only a negator of one of them or
// of English counts: Roman Urdu's "ni" is Swahili's "is", and "ni wakati wa
// sale" is no Spanish "no sale".
func (sc *scratch) negator(pos, end int, langs uint64) (int, bool) {
	toks := sc.toks
	for k := pos - 1; k >= 0 && k >= pos-negSpan; k-- {
		if toks[k].sent != toks[pos].sent || toks[k+1].fl&tkHash != 0 {
			break
		}
		if sc.marks[k]&mkNegator != 0 && sc.marks[k]&mkIntent == 0 && sc.sameLang(langs, sc.plangs[k]) {
			return k, true
		}
	}
	for k := end; k < len(toks) && k < end+postNegSpanFar; k++ {
		if toks[k].sent != toks[end-1].sent || toks[k].fl&tkHash != 0 {
			break
		}
		if k >= end+postNegSpan {
			// Farther than postNegSpan, only a negator of a language that
			// ends its clause with it, within the verb's clause ("slack lädt
			// seit 10 min nicht", "outlook synchronisiert den Kalender nicht mehr").
			if sc.marks[k]&(mkVerb|mkIntent) != 0 || bytes.ContainsAny(sc.buf[toks[k-1].e:toks[k].s], commaMarks+":") {
				break
			}
			if sc.plangs[k]&sc.finalNeg == 0 {
				continue
			}
		}
		if sc.marks[k]&mkPostNeg != 0 && sc.marks[k]&mkIntent == 0 && sc.sameLang(langs, sc.plangs[k]) {
			return k, true
		}
	}
	return 0, false
}

// negatedSpan reports whether the tokens [pos, end) have a negator (see negator).
func (sc *scratch) negatedSpan(pos, end int, langs uint64) bool {
	_, ok := sc.negator(pos, end, langs)
	return ok
}

// sameLang reports whether a verb of the languages a and a negator of b may
// go together: a language in common, or English on either side (people mix
// English verbs and negators into every language: "hindi ma-load", "nahi
// load ho raha"). A zero mask goes with anything.
func (sc *scratch) sameLang(a, b uint64) bool {
	return a == 0 || b == 0 || a&b != 0 || (a|b)&sc.english != 0
}

// subjectOf reports whether a "works" term is said of the mention: it follows
// the name closely in its sentence with no outage term between ("insta is
// fine"; not "netflix shows an error, Disney+ is fine" of Netflix when Disney+
// is not a listed name, nor "feed won't load, the wifi is fine").
func (sc *scratch) subjectOf(mn mention, in intent) bool {
	if mn.sent != in.sent || mn.end > in.pos || in.pos-mn.end+1 > nearDist {
		return false
	}
	for _, o := range sc.intents {
		if o.cat == catOutage && o.pos >= mn.end && o.end <= in.pos {
			return false
		}
	}
	return true
}

// negatedClose reports whether the tokens [pos, end) are negated right by
// them: a negator one or two words before with no punctuation between, or a
// post-negator right after.
func (sc *scratch) negatedClose(pos, end int) bool {
	toks := sc.toks
	for k := pos - 1; k >= 0 && k >= pos-2; k-- {
		if toks[k].sent != toks[pos].sent || bytes.ContainsAny(sc.buf[toks[k].e:toks[k+1].s], ",;:!.") {
			break
		}
		if sc.marks[k]&mkNegator != 0 && sc.marks[k]&mkIntent == 0 {
			return true
		}
	}
	return end < len(toks) && toks[end].sent == toks[end-1].sent && sc.marks[end]&mkPostNeg != 0 && sc.marks[end]&mkIntent == 0
}

// koreanStatement ends a Korean statement ("복구됐다", restored): waiting
// said after it is of something else ("복구됐다 기다리는 동안 디플 보고 있었음").
var koreanStatement = []byte("다")

// awaited reports whether a recovery intent is asked after: an awaiting term
// of its language ("when", "cuándo", "언제", "lini") up to awaitSpan words
// before it in its sentence ("когда починят Roblox", "언제 복구돼"), or right
// after it in a question ("PSN itarudi lini?"), or, in a language that puts
// the verb last, after it (waitsAfter: "카톡 복구 기다리는 나"). What people
// wait for has not come. ("volvió justo cuando reinicié" and "remarche, j'ai
// quand même" are recoveries; Urdu "کی" is "of", not Persian "when".)
func (sc *scratch) awaited(r *Rules, in intent) bool {
	for _, a := range sc.awaits {
		if a.sent != in.sent || a.langs&in.langs == 0 && a.langs != 0 && in.langs != 0 {
			continue
		}
		if a.pos <= in.pos && in.pos-a.end < awaitSpan || // CJK: one run holds both
			a.pos == in.end && sc.question(r, in.sent) ||
			a.langs&r.verbLast != 0 && sc.waitsAfter(a, in) {
			return true
		}
	}
	return false
}

// waitsAfter reports whether awaiting term a stands up to two words after
// recovery term in, and in does not end a Korean statement.
func (sc *scratch) waitsAfter(a, in intent) bool {
	last := sc.toks[in.end-1]
	return a.pos >= in.end && a.pos-in.end < 3 && !bytes.HasSuffix(sc.buf[last.s:last.e], koreanStatement)
}

// question reports whether sentence sent is a question: it ends in a question
// mark, or in a question particle (a word of its own, or the end of a CJK or
// Thai run: "เป็นแค่เราป่ะ", "只有我这样吗"), as questions in those languages
// often do without a mark.
func (sc *scratch) question(r *Rules, sent int32) bool {
	for i := len(sc.toks) - 1; i >= 0; i-- {
		if sc.toks[i].sent != sent {
			continue
		}
		end := len(sc.buf)
		if i+1 < len(sc.toks) {
			end = int(sc.toks[i+1].s)
		}
		if hasQuestionMark(sc.buf[sc.toks[i].s:end]) {
			return true
		}
		w := sc.buf[sc.toks[i].s:sc.toks[i].e]
		for _, p := range r.particles {
			if bytes.Equal(w, p) || sc.toks[i].fl&tkCJK != 0 && bytes.HasSuffix(w, p) {
				return true
			}
		}
		return false
	}
	return false
}

// outageRightAfter reports whether an outage term follows the mention at once,
// in its sentence (a spaced word: a CJK run after the name may hold the term
// anywhere, "来Instagram看看怎么回事").
func (sc *scratch) outageRightAfter(mn mention) bool {
	for _, in := range sc.intents {
		if in.cat == catOutage && in.pos == mn.end && in.sent == mn.sent && sc.toks[in.pos].fl&tkCJK == 0 {
			return true
		}
	}
	return false
}

// asked reports whether the sentence of token end-1 ends in a question mark
// after it.
func (sc *scratch) asked(end int) bool {
	toks := sc.toks
	from, to := int(toks[end-1].e), len(sc.buf)
	for k := end; k < len(toks); k++ {
		if toks[k].sent != toks[end-1].sent {
			to = int(toks[k].s)
			break
		}
	}
	return hasQuestionMark(sc.buf[from:to])
}

// hasQuestionMark reports whether b holds a question mark (Latin, Arabic or
// full-width).
func hasQuestionMark(b []byte) bool {
	return bytes.IndexByte(b, '?') >= 0 || bytes.Contains(b, []byte("؟")) || bytes.Contains(b, []byte("？"))
}

func inRecovery(ins []intent, i int) bool {
	for _, in := range ins {
		if (in.cat == catRecovery || in.cat == catFine) && int(in.pos) <= i && i < int(in.end) {
			return true
		}
	}
	return false
}

// isPast reports whether an outage term speaks of an outage that is over:
// a past cue ("yesterday", "was down") is nearer to it than any present cue
// ("still", "again", "now"), a cue in its own sentence always nearer than one
// in another ("down since yesterday and still nothing" is current; "the
// outage last week, I only read the report now" is not).
func (sc *scratch) isPast(in intent) bool {
	if len(sc.past) == 0 {
		return false
	}
	for k := 0; k < len(sc.pastCov); k += 2 {
		if sc.pastCov[k] < in.end && in.pos < sc.pastCov[k+1] {
			// The past cue holds the outage term itself ("was down for an
			// hour", "era giù"): no present cue outweighs its tense.
			return true
		}
	}
	return sc.nearestPast(in) < sc.nearest(sc.present, in)
}

// nearestPast is nearest for the past cues, leaving out one after the intent
// in a later sentence, or in a later clause of its sentence, past a comma: "ChatGPT не отвечает, …, а у
// меня сдача в пятницу" is due on Friday, not down last Friday. (A colon does
// not end the clause: "X-Störung vom Montag: … als Ursache" is past.)
func (sc *scratch) nearestPast(in intent) int32 {
	best := int32(1 << 30)
	for _, c := range sc.past {
		if c >= in.end && sc.toks[c].sent == in.sent && sc.markBetween(int(in.end), int(c), commaMarks) {
			continue
		}
		if c >= in.end && sc.toks[c].sent != in.sent {
			// nor one in a later sentence: a sentence has its own tense ("ChatGPT
			// iko down? … shule zimefunguliwa juzi tu": the schools opened the day
			// before yesterday; "Gmail m'envoie pas le code. … le mariage de samedi")
			continue
		}
		best = min(best, sc.cueDist(c, in))
	}
	return best
}

// nearest is the distance from the intent to the nearest of the cues.
func (sc *scratch) nearest(cues []int32, in intent) int32 {
	best := int32(1 << 30)
	for _, c := range cues {
		best = min(best, sc.cueDist(c, in))
	}
	return best
}

// cueDist is the distance from the intent to the cue at token c (1<<30 for a
// cue that opens another service's clause).
func (sc *scratch) cueDist(c int32, in intent) int32 {
	if c >= in.end && sc.opensClause(c) {
		return 1 << 30
	}
	var d int32
	switch {
	case c >= in.end:
		d = c - in.end + 1
	case c < in.pos:
		d = in.pos - c
	}
	if sc.toks[c].sent != in.sent {
		d += otherSentence
	}
	return d
}

// opensClause reports whether the cue at token c begins another service's
// clause: a name follows it within two words ("Netflix in tilt ieri sera,
// stasera Prime Video non parte": stasera is Prime Video's, not Netflix's).
func (sc *scratch) opensClause(c int32) bool {
	for _, mn := range sc.mentions {
		if mn.pos > c && mn.pos-c <= 2 && mn.sent == sc.toks[c].sent {
			return true
		}
	}
	return false
}

func hashtagNames(ms []mention, hg int32) bool {
	for _, mn := range ms {
		if mn.hg == hg {
			return true
		}
	}
	return false
}
