// Package match decides which posts are outage complaints about which
// service.
//
// It is the third stage of Outcry's data flow:
//
//	decode → match → aggregate → windows → evaluate → incidents → alerts
//
// The decoder hands each post's text to [Matcher.Match], which returns one
// [Match] per service named in it: a [Mention] (brand chatter), an [Outage]
// (a complaint that the service is down, with the problem categories the
// post names) or a [Recovery] ("WhatsApp is back"). The aggregator counts
// Outage matches per service and time bucket. Most posts of a firehose name
// no service and leave Match in a few hundred nanoseconds without
// allocating.
//
// # How a post is read
//
// The text is normalised in one pass ([Normalize]): compatibility
// decomposition, case folding, Latin diacritics dropped (Störung → storung),
// Arabic tashkeel, tatweel and zero-width characters dropped, Arabic and
// Persian letter variants unified (أ إ آ ٱ → ا, ة → ه, ى ی → ي, ک → ك).
// It is then split into words; URLs are skipped; hashtags are split at
// underscores and then into the fewest known words (#whatsappdown,
// #caidawhatsapp, #WhatsAppÇöktü), falling back to camel case. Runs of CJK
// script (no spaces) are searched by substring.
//
// A service is named by an alias (whatsapp, واتساب, व्हाट्सएप, ワッツアップ...);
// a leading Arabic article or clitic is allowed (الواتساب), single-word
// aliases of services marked fuzzy tolerate one typo (wahtsapp), and
// ambiguous aliases (x) need a context term in the post (tweet, timeline,
// elon...), an @handle, or a hashtag with an outage term (#xdown).
//
// Outage intent comes from outage terms (down, لا يعمل, caído, çöktü,
// 落ちてる), or from a negator before a symptom verb ("not loading",
// "ما يفتح", "nahi chal raha", "lädt nicht"). Each intent term counts for the
// nearest service named within 6 words (or 12 in the same sentence), and for
// every service listed with it ("whatsapp, instagram and facebook are
// down"). Negation phrases cancel the outage terms they overlap ("isn't
// down", "calm down", "I'm down to"). Recovery terms ("is back", رجع,
// düzeldi) make a Recovery when they are nearer than any outage term.
//
// # Rules file
//
// Rules are YAML; [DefaultRules] embeds default_rules.yaml, whose header
// documents the schema:
//
//	version: 1
//	outage_terms:   {en: [down, "not working", ...], ar: [...], ...}
//	recovery_terms: {en: ["is back", ...], ...}
//	negations:      {en: ["not down", "calm down", ...], ...}
//	negators:       {en: [not, "can't", ...], ...}
//	post_negators:  {de: [nicht], ...}
//	symptom_verbs:  {en: [loading, sending, ...], ...}
//	connectors:     [and, y, و, ...]
//	hashtag_words:  [again, still, ...]
//	problems:       {login: [...], messages: [...], ...}
//	services:
//	  - name: x
//	    display: X (Twitter)
//	    owner: ""
//	    fuzzy: true
//	    aliases: {latin: [twitter, ...], ar: [تويتر]}
//	    context_aliases: [{alias: x, requires_context: [tweet, timeline, ...]}]
//
// Every list may be a plain list or a mapping of language to list. Unknown
// keys, empty terms, empty or duplicate service names are reported as
// [*RuleError] with the line and column of the fault.
package match
