package match

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"WhatsApp", "whatsapp"},
		{"Störung", "storung"},
		{"caído ça über", "caido ca uber"},
		{"ÇÖKTÜ ığş", "coktu igs"},
		{"São João ã", "sao joao a"},
		{"Ｗｈａｔｓａｐｐ", "whatsapp"},                         // full-width
		{"What\u200bs\u200dApp\u2060\ufeff", "whatsapp"}, // zero-width
		{"واتس آب", "واتس اب"},
		{"واتس أب", "واتس اب"},
		{"إكس", "اكس"},
		{"ٱلواتساب", "الواتساب"},
		{"مشكلة", "مشكله"},
		{"على", "علي"},
		{"مؤسسة", "موسسه"},
		{"شيئ", "شيي"},
		{"وَاتْسَاب", "واتساب"},      // tashkeel
		{"واتـــساب", "واتساب"},      // tatweel
		{"کار یوتیوب", "كار يوتيوب"}, // Persian letters
		{"واتس\u200cاپ", "واتساپ"},   // ZWNJ
		{"व्हाट्सएप डाउन", "व्हाट्सएप डाउन"},
		{"क़", "क"}, // the nukta is dropped
		{"स्पॉटिफ़ाई", "स्पॉटिफाई"}, // written with or without it
		{"ज़ूम", "जूम"},
		{"ﬁx", "fix"},
		{"Straße", "strasse"},
		{"\xff", "\uFFFD"},
		{"ツイッター落ちてる", "ツイッター落ちてる"},
		{"ｶﾀｶﾅ", "カタカナ"},
		// stretched words: three or more of a letter are one
		{"dooown", "down"},
		{"WhatsApp ÇÖKTÜÜÜÜ", "whatsapp coktu"},
		{"ไม่ได้เลยยยย", "ไม่ได้เลย"},
		{"واقففففف", "واقف"},
		{"too offline", "too offline"},
		{"www.x.com", "www.x.com"},
		{"naaalala", "nalala"},
		// in a hashtag words run together: three may be two words' letters
		{"#WhatsAppPanne", "#whatsapppanne"},
		{"#WhatsAppDownnnnn", "#whatsappdown"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Normalize(tt.want); got != tt.want {
			t.Errorf("Normalize not idempotent on %q: %q", tt.want, got)
		}
	}
}

type want map[string]Kind

// rulesOnly is the default rules' matcher without the model's second opinion.
func rulesOnly() *Matcher {
	m := NewMatcher(DefaultRules())
	m.model = nil
	return m
}

func TestMatch(t *testing.T) {
	m := NewMatcher(DefaultRules())
	checkMatches(t, m, []matchCase{
		// Arabic variants and the definite article
		{"واتس آب لا يعمل", want{"whatsapp": Outage}},
		{"واتس أب معطل", want{"whatsapp": Outage}},
		{"واتساب ما يشتغل من الصبح", want{"whatsapp": Outage}},
		{"وَاتْسَاب واقف", want{"whatsapp": Outage}},
		{"واتـــساب لا يعمل", want{"whatsapp": Outage}},
		{"الواتساب طايح", want{"whatsapp": Outage}},
		{"الواتس ما تنرسل الرسايل", want{"whatsapp": Outage}},
		{"ابوي يرسل رسايل صباحية في واتس اب كل يوم", want{"whatsapp": Mention}},
		{"انستقرام ما يفتح", want{"instagram": Outage}},
		{"واتساب رجع", want{"whatsapp": Recovery}},
		{"عادت الخدمة في واتساب", want{"whatsapp": Recovery}},
		// hashtags
		{"#WhatsAppDown", want{"whatsapp": Outage}},
		{"is #whatsappdown for anyone else?", want{"whatsapp": Outage}},
		{"#instagramdown", want{"instagram": Outage}},
		{"#whatsappcaido", want{"whatsapp": Outage}},
		{"#caidawhatsapp", want{"whatsapp": Outage}},
		{"#WhatsAppStörung", want{"whatsapp": Outage}},
		{"#WhatsAppÇöktü", want{"whatsapp": Outage}},
		{"#wadown", want{"whatsapp": Outage}},
		{"#واتساب_معطل", want{"whatsapp": Outage}},
		{"#व्हाट्सएप_डाउन", want{"whatsapp": Outage}},
		{"#WhatsAppNotWorking", want{"whatsapp": Outage}},
		{"#whatsappdownload", want{"whatsapp": Mention}},
		{"#WhatsApp", want{"whatsapp": Mention}},
		// chatter, negation, idioms
		{"new AI stickers on WhatsApp!", want{"whatsapp": Mention}},
		{"mandei um whatsapp pra minha mãe", want{"whatsapp": Mention}},
		{"Twitter is not down for me", want{"x": Mention}},
		{"whatsapp isn't down, your wifi is", want{"whatsapp": Mention}},
		{"download whatsapp here", want{"whatsapp": Mention}},
		{"downloading the new youtube app", want{"youtube": Mention}},
		{"I'm down to hang out on discord", want{"discord": Mention}},
		{"this tiktok sound is stuck in my head", want{"tiktok": Mention}},
		{"the new whatsapp feature broke the internet lol", want{"whatsapp": Mention}},
		// a feature not rolled out yet is not an outage (launch days)
		{"new reels remix not showing up for me yet whatsapp pls", want{"whatsapp": Mention}},
		// katakana names inside longer katakana words; CJK negations
		{"Xのタイムライン更新されない", want{"x": Outage}},
		{"オンラインゲーム落ちてる", want{}},
		{"ラインが落ちてる", want{"line": Outage}},
		{"大会中にディスコード落ちたら泣く", want{"discord": Mention}},
		{"ChatGPT返事してくれない、ずっとネットワークエラー", want{"chatgpt": Outage}},
		// support and country handles
		{"@SteamSupport store page keeps showing error 118", want{"steam": Outage}},
		{"@Uber_India app is down", want{"uber": Outage}},
		{"@AskPlayStation is psn down?", want{"playstation": Outage}},
		{"@campus is down", want{}},
		// one service named: the complaint counts however far from the name
		{"Netflix, explain this: I finally sat down after a twelve hour shift, made tea, queued up the season finale I had been saving, and what do I get? A spinning circle and an error code.", want{"netflix": Outage}},
		// outages in many languages
		{"whatsapp not working", want{"whatsapp": Outage}},
		{"WhatsApp messages not sending, stuck on one tick", want{"whatsapp": Outage}},
		{"is instagram down or is it just me", want{"instagram": Outage}},
		{"se cayó whatsapp, todos a twitter", want{"whatsapp": Outage, "x": Mention}},
		{"whatsapp caiu? não consigo mandar mensagem", want{"whatsapp": Outage}},
		{"bei mir funktioniert Whatsapp nicht", want{"whatsapp": Outage}},
		{"whatsapp störung? nachrichten hängen", want{"whatsapp": Outage}},
		{"whatsapp down hai kya?", want{"whatsapp": Outage}},
		{"whatsapp nahi chal raha", want{"whatsapp": Outage}},
		// a negator pairs with a verb of its own language, or English
		{"insta nahi load ho raha", want{"instagram": Outage}},
		{"ni wakati wa sale, netflix", want{"netflix": Mention}},
		// a post of names and terms only is the rules' to read: the model's
		// n-grams of 장애 come from 장애인 too
		{"유튜브 장애", want{"youtube": Outage}},
		{"whatsapp netflix", want{"whatsapp": Mention, "netflix": Mention}},
		// a negated verb is of its negator's language: Vietnamese, not English,
		// next to "threads"
		{"Threads không load được bài mới", want{"threads": Outage}},
		{"threads not loading", want{}},
		// an outage word right beside a recovery term is what was fixed
		{"تم اصلاح عطل واتساب", want{"whatsapp": Recovery}},
		{"الماسنجر الرسايل ما توصل، والنت شغال عادي", want{"messenger": Outage}},
		// a negated verb spans its negator: as near the name before as after
		{"카톡 안 돼서 인스타로 연락함", want{"kakaotalk": Outage, "instagram": Mention}},
		{"Zoom geht, Teams nicht.", want{"teams": Outage, "zoom": Mention}},
		{"BeReal down makanya gw ke chatgpt liat ada apa", want{"chatgpt": Mention}},
		// a name inside a longer name in a CJK run is not named
		{"グーグルドライブ落ちてる", want{"google-drive": Outage}},
		{"谷歌云盘挂了", want{"google-drive": Outage}},
		// "back up" run together is a backup, not a recovery, outside hashtags
		{"whatsapp backup keeps failing", want{"whatsapp": Outage}},
		{"icloud backup nyangkut, foto ga ke-upload dari 2 hari", want{"icloud": Outage}},
		// "the same as yesterday" says it is happening again now
		{"chatgpt dando 'something went wrong' em toda pergunta, mesmo erro de ontem", want{"chatgpt": Outage}},
		// outage words that are everyday words in other senses (or fold to one)
		{"netflix dizisi yeniden dönüyor", want{"netflix": Mention}},
		{"Instagram سے ویڈیو کیسے ڈاؤن لوڈ کریں؟", want{"instagram": Mention}},
		// a weekday of an outage is a day other than today
		{"gangguan Roblox hari Senin berdampak ke jutaan pengguna", want{"roblox": Past}},
		// "error" as a mistake
		{"el error fue mío, le mandé el meme a mi jefe por insta jajaja", want{"instagram": Mention}},
		{"the error in my essay was quoting IG's ceo wrong lol", want{"instagram": Mention}},
		{"whatsapp error al enviar, mi error fue reinstalar", want{"whatsapp": Outage}},
		{"presa em casa vendo netflix", want{"netflix": Mention}},
		{"累得动不了只能刷油管", want{"youtube": Mention}},
		// a spaced Korean name whose run-together spelling is listed too
		{"구글 드라이브 안 됨", want{"google-drive": Outage}},
		{"페이스북 메신저 안 됨", want{"messenger": Outage}},
		{"व्हाट्सएप में दिक्कत आ रही है", want{"whatsapp": Outage}},
		{"वॉट्सऐप में मैसेज नहीं जा रहे", want{"whatsapp": Outage}},
		{"wa gangguan lagi", want{"whatsapp": Outage}},
		{"whatsapp tumbang wkwk", want{"whatsapp": Outage}},
		{"ada yang whatsappnya error juga?", want{"whatsapp": Outage}},
		{"WhatsApp çöktü galiba", want{"whatsapp": Outage}},
		{"instagram açılmıyor", want{"instagram": Outage}},
		{"mon facebook bug encore", want{"facebook": Outage}},
		{"у меня телеграм не работает", want{"telegram": Outage}},
		{"تلگرام کار نمیکنه", want{"telegram": Outage}},
		{"ツイッターでメッセージ送れない", want{"x": Outage}},
		{"インスタ落ちてる？", want{"instagram": Outage}},
		{"ライン見てた、YouTubeの新機能すごい", want{"youtube": Mention}},
		// recovery
		{"WhatsApp is back", want{"whatsapp": Recovery}},
		{"whatsapp geht wieder", want{"whatsapp": Recovery}},
		{"volvió el whatsapp", want{"whatsapp": Recovery}},
		{"whatsapp wapas aa gaya", want{"whatsapp": Recovery}},
		{"WhatsApp düzeldi", want{"whatsapp": Recovery}},
		{"wa udah normal", want{"whatsapp": Recovery}},
		{"whatsapp is working again after the outage", want{"whatsapp": Recovery}},
		// ambiguous aliases
		{"x is so boring today", want{}},
		{"wait what", want{}},
		{"the x on the map", want{}},
		{"X is down again, timeline won't load", want{"x": Outage}},
		{"#xdown", want{"x": Outage}},
		{"#TwitterDown", want{"x": Outage}},
		{"saw it on x, great tweet", want{"x": Mention}},
		{"@X fix your app, it keeps crashing", want{"x": Outage}},
		{"wa down lagi", want{"whatsapp": Outage}},
		{"zap caiu de novo", want{"whatsapp": Outage}},
		// misspellings
		{"Wahtsapp not working", want{"whatsapp": Outage}},
		{"watsapp down?", want{"whatsapp": Outage}},
		{"Whataspp Störung?", want{"whatsapp": Outage}},
		{"discard the old photos", want{}},
		// several services
		{"whatsapp, instagram and facebook are all down", want{"whatsapp": Outage, "instagram": Outage, "facebook": Outage}},
		{"the way everyone ran to telegram the second whatsapp went down", want{"whatsapp": Outage, "telegram": Mention}},
		{"whatsapp down, semua pindah ke telegram #outage", want{"whatsapp": Outage, "telegram": Mention}},
		// nothing
		{"", want{}},
		{"power's out in our street", want{}},
		{"🍿🍿🍿 क्रिकेट देख रहे हो?", want{}},
	})
}

// matchCase is a post and what the matcher should say of each service it names.
type matchCase struct {
	text string
	want want
}

// checkMatches matches each case's text and compares the kinds per service.
func checkMatches(t *testing.T, m *Matcher, tests []matchCase) {
	t.Helper()
	for _, tt := range tests {
		got := want{}
		for _, mt := range m.Match(nil, tt.text) {
			if _, dup := got[mt.Service]; dup {
				t.Errorf("%q: service %s matched twice", tt.text, mt.Service)
			}
			got[mt.Service] = mt.Kind
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Match(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// The rules alone (no model) on what is over, where people went, and links.
func TestPastDisplacementLinks(t *testing.T) {
	m := rulesOnly()
	checkMatches(t, m, []matchCase{
		// past: a past cue and no present cue
		{"WhatsApp was down yesterday, what happened?", want{"whatsapp": Past}},
		{"Meta blames config change for Tuesday's outage of Instagram", want{"instagram": Past}},
		{"instagram is no longer down", want{"instagram": Past}},
		// a present cue keeps it current, in its own sentence or anywhere
		{"WhatsApp down since yesterday and still nothing", want{"whatsapp": Outage}},
		{"discord went down yesterday. and it's down again", want{"discord": Outage}},
		{"WhatsApp was down yesterday. Now Instagram is down too", want{"whatsapp": Past, "instagram": Outage}},
		// recovery beats past; a present cue inside a recovery term is not one
		{"whatsapp is back after yesterday's outage", want{"whatsapp": Recovery}},
		{"whatsapp was down yesterday, works now", want{"whatsapp": Recovery}},
		// a recovery term holding an outage term
		{"ไอจีหายล่มแล้ว", want{"instagram": Recovery}},
		// ออนไลน์ is "online", not LINE
		{"เรียนออนไลน์ทั้งวัน", want{}},
		{"ทวิตล่มเหรอ ไทม์ไลน์ไม่ขึ้น", want{"x": Outage}}, // timeline
		{"ส่งงานไม่ทันเดดไลน์", want{}},                    // deadline
		{"ไลน์ล่ม", want{"line": Outage}},
		// a bare name asked
		{"instagram???", want{"instagram": Outage}},
		{"X???", want{"x": Outage}}, // whichever word the name also is
		{"teams????", want{"teams": Outage}},
		{"@PayPalItalia i pagamenti non passano", want{"paypal": Outage}}, // a support account's country
		{"@WhatsApp ؟", want{"whatsapp": Outage}},
		{"@LINEjp_official 通知が全然来ません", want{"line": Outage}}, // two suffixes
		{"@ChatGPTapp down again?", want{"chatgpt": Outage}}, // a suffix off, not a second one ("pt") eating the name
		// only a support account tagged: a plea to it; a fan's reply is not
		{"@snapchatsupport 🙏🙏", want{"snapchat": Outage}},
		{"@tiktok_id @TikTokSupport", want{"tiktok": Outage}},
		{"@netflix 😂😂", want{"netflix": Mention}},
		// a run naming a second service after other words is two statements
		{"ไลน์ล่มเลยต้องมาทักในเฟสแทน", want{"line": Outage, "facebook": Mention}},
		{"ไอจีล่มมาถามในทวิตเลยจ้า ใครเป็นบ้าง", want{"instagram": Outage, "x": Mention}},
		{"ไลน์กับเฟสล่มพร้อมกัน", want{"line": Outage, "facebook": Outage}}, // listed: one run
		// screen sharing that fails for everyone; the poster's data plan used up
		{"Teams no deja compartir pantalla, a todos les sale negro. Clase de 60 alumnos esperando", want{"teams": Outage}},
		{"月末ギガ死でインスタのリール再生されない。あと3日…", want{"instagram": Mention}},
		// "gone" right after a name; "was gone" is past
		{"whatsapp gaya, hum signal pe shift ho gaye", want{"whatsapp": Outage, "signal": Mention}},
		{"kal netflix gaya tha aaj sab theek hai", want{"netflix": Past}},
		// a Korean verb ending -서 joins the cause to its consequence: "Netflix erred, so YouTube"
		{"넷플 결제 페이지 계속 오류나서 오늘은 그냥 유튜브 봄", want{"netflix": Outage, "youtube": Mention}},
		{"카톡 먹통이니까 텔레그램으로 와", want{"kakaotalk": Outage, "telegram": Mention}},
		// -는데 (but) ends the clause; 인스타는 (with a topic particle) is context for 스레드
		{"스레드 글이 안 올라가는데 인스타는 멀쩡함 뭐임", want{"threads": Outage, "instagram": Mention}},
		// a Japanese or Chinese particle between a Latin name and the next lists them
		{"XもLINEも死んでて情報入ってこない台風の夜", want{"x": Outage, "line": Outage}},
		{"YT和IG都打不开", want{"youtube": Outage, "instagram": Outage}},
		// an Arabic comma ends a clause as a comma does
		{"مو النت عندك، ترا سناب هو اللي طايح، الانستا ما فيه شي", want{"snapchat": Outage, "instagram": Mention}},
		// German and Dutch put "nicht" at the end of the clause
		{"slack lädt seit 10 min nicht, arbeit ruht", want{"slack": Outage}},
		{"Outlook synchronisiert den Kalender nicht mehr", want{"outlook": Outage}},
		{"@Uber_MEX la app no me deja pedir viaje", want{"uber": Outage}},
		{"my discord bot keeps crashing on every command", want{"discord": Mention}},
		// a run after a Latin name, its own name after other words: a new statement
		{"LINE死んでるからインスタのDMで連絡して", want{"line": Outage, "instagram": Mention}},
		{"카톡 안 되는 동안 텔레그램으로 넘어가자", want{"kakaotalk": Outage, "telegram": Mention}},
		{"WA iko down, njooni Telegram kwanza", want{"whatsapp": Outage, "telegram": Mention}},
		// a console named as where another service runs is not the one failing
		{"YouTube op de PS5 geeft bij elke video een fout", want{"youtube": Outage, "playstation": Mention}},
		{"YouTube sur ma Xbox affiche plus rien, écran noir", want{"youtube": Outage, "xbox": Mention}},
		{"PSN down, can't sign in on my PS5", want{"playstation": Outage}},
		// a term written "=sập" counts only where the post writes its accents:
		// "sắp" (about to) folds to the same letters
		{"Discord sập, cả team chuyển qua Messenger gọi nhóm", want{"discord": Outage, "messenger": Mention}},
		{"Facebook sắp ra mắt tính năng mới", want{"facebook": Mention}},
		{"Twitch donmuş, kimse yazamıyor", want{"twitch": Outage}},
		{"instagram geri döndü", want{"instagram": Recovery}},
		// a past cue in a later sentence does not make the first one past
		{"netflix error terus di smart tv, kode NW-2-5. padahal kemarin aman", want{"netflix": Outage}},
		// "still" inside a longer past cue is no present cue
		{"still bitter about fortnite dying at midnight on NYE", want{"fortnite": Past}},
		{"Outlook synchronisiert seit heute früh nicht", want{"outlook": Outage}},
		// a clitic on the first word of a two-word name ("وتيك" also starts "وتيك تك")
		{"ما عندي غير سناب وتيك توك والحين الاثنين ما يفتحون", want{"snapchat": Outage, "tiktok": Outage}},
		// "works normally" on another device is no recovery
		{"نتفلكس على الشاشة يطلع لي خطأ وعلى الجوال شغال عادي", want{"netflix": Outage}},
		// Malay "x" for "tak" (not)
		{"Tele x boleh connect, channel info banjir kilat pun x update", want{"telegram": Outage}},
		{"트위터 또 안 돼서 블루스카이 깔아봄", want{"x": Outage, "bluesky": Mention}}, // the consequence term ends the outage term
		// a two-word name with a case ending on its second word
		{"Гугл драйвга файл юкланмаяпти, 99% да тўхтаб қолди", want{"google-drive": Outage}},
		{"графики в гугл диске, а диск не открывается", want{"google-drive": Outage}},
		// Uzbek terms listed in Latin are found in Cyrillic too
		{"Телеграм ётибди, ҳамма Инстаграм директга ўтди", want{"telegram": Outage, "instagram": Mention}},
		// a bare day name says when, not that it is over
		{"Discord padł akurat w weekend premiery gry, no pięknie", want{"discord": Outage}},
		// a time cue in a later clause is that clause's ("due on Friday")
		{"ChatGPT не отвечает, пишет «Something went wrong», а у меня сдача главы в пятницу", want{"chatgpt": Outage}},
		// a link to an outage tracker's page of a service asks whether it is down
		{"https://downdetector.com/status/whatsapp/ 👀", want{"whatsapp": Outage}},
		{"allestoerungen.de/stoerung/instagram/", want{"instagram": Outage}},
		{"https://allestoringen.nl/storing/whatsapp/ hmm", want{"whatsapp": Outage}},
		{"https://downdetector.ru/ne-rabotaet/telegram/ ну вы поняли", want{"telegram": Outage}},               // the model does not read links
		{"@AskPlayStation https://downdetector.pl/problemy/playstation-network/", want{"playstation": Outage}}, // a slug of two words
		// an Arabic article glued to a Latin name
		{"الـPSN واقفة؟ مو قادر ادخل اونلاين", want{"playstation": Outage}},
		{"https://www.isitdownrightnow.com/discord.com.html", want{"discord": Outage}},
		{"https://youtube.com/watch?v=abc great video", want{}}, // a link to the service is not a name
		{"https://downdetector.com/ lol", want{}},
		// a short word said of a name opens the Thai run right after it
		{"Teamsค้างตอนประชุมเช้านี้", want{"teams": Outage}},
		// an ambiguous name that is the first word of an outage term is that word
		{"اسپاتیفای هیچی پلی نمیکنه", want{"spotify": Outage}},
		// a displacement term does not reach over a clause mark
		{"Discord dan maar, Teams ligt eruit", want{"discord": Mention, "teams": Outage}},
		{"Spotify is stuk?? Dan maar YouTube aan", want{"spotify": Outage, "youtube": Mention}},
		{"インスタ？", want{"instagram": Outage}},
		// a run that goes on after its name is a clause, not a list item
		{"เมื่อคืนยูทูปล่ม วันนี้เน็ตฟลิกซ์ดูไม่ได้", want{"youtube": Past, "netflix": Outage}},
		{"카톡이랑 인스타 둘 다 안 되는데", want{"kakaotalk": Outage, "instagram": Outage}},
		// a CJK run holding the name and more is a sentence, not a bare name
		{"アウトルックの動画ってどうやってダウンロードするの？", want{"outlook": Mention}},
		{"instagram", want{"instagram": Mention}},
		// displacement: where people went is not what failed
		{"whatsapp down so everyone came to twitter", want{"whatsapp": Outage, "x": Mention}},
		{"checking twitter to see if gmail is down", want{"x": Mention, "gmail": Outage}},
		{"insta is down, back to tiktok i guess", want{"instagram": Outage, "tiktok": Mention}},
		{"came to twitter to see if it's down", want{"x": Mention}},
		// the failing one unknown: the destination still takes no complaint
		{"BeReal is down so I'm back on Discord like it's 2012", want{"discord": Mention}},
		{"BeReal واقف والكل راح Outlook يتشكى", want{"outlook": Mention}},
		{"BeRealล่ม เลยมาดูในเฟสบุ๊คว่าเกิดอะไรขึ้น", want{"facebook": Mention}},
		{"YouTubeが読み込まないからTwitterに来た", want{"youtube": Outage, "x": Mention}},
		{"インスタ落ちてるからXに来た", want{"instagram": Outage, "x": Mention}}, // a name, not a case ending, before the arrival
		{"WhatsApp崩了，所以来Instagram看看怎么回事", want{"whatsapp": Outage, "instagram": Mention}},
		{"twitter yine yüklenmiyor, bluesky'a döndüm şimdilik", want{"x": Outage, "bluesky": Mention}},
		{"checked downdetector, Facebook reports spiking. not working for me", want{"facebook": Outage}},
		// links are not names
		{"my car smells weird pic.twitter.com/abc123", want{}},
		{"the 8:15 is late again youtube.com/watch?v=abc", want{}},
		{"youtube won't load https://t.co/xyz", want{"youtube": Outage}},
		{"gmail is down again lol x.com/someone/status/123", want{"gmail": Outage}},
		{"x.com is not loading", want{"x": Outage}},
	})
}

// TestAmbiguousAliasNextToTerm: an ambiguous alias next to an outage term
// names the service (rules only: the model of 2026-12-06 vetoes this one,
// p 0.07, since the posts naming Elon it was trained on are mostly news; a
// known error of the model, kept visible here rather than hidden).
func TestAmbiguousAliasNextToTerm(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"elon broke x again, it's down", want{"x": Outage}},
	})
	if got := NewMatcher(DefaultRules()).Match(nil, "elon broke x again, it's down"); len(got) != 1 || got[0].Service != "x" {
		t.Errorf("with the model: %v, want x named", got)
	}
}

// TestWorksAndClauses: what the rules make of "works" terms, negated
// recoveries, present cues against recovery, the poster's own connection, and
// names in other clauses (rules only).
func TestWorksAndClauses(t *testing.T) {
	m := rulesOnly()
	checkMatches(t, m, []matchCase{
		// a service said to work, right after its name, is a mention
		{"youtube won't load, insta is fine", want{"youtube": Outage, "instagram": Mention}},
		{"telegram не грузит, а вотсап работает нормально", want{"telegram": Outage, "whatsapp": Mention}},
		// unless the "works" is negated, asked or in the past
		{"bei mir funktioniert Whatsapp nicht", want{"whatsapp": Outage}},
		// a negated recovery is an outage
		{"steam ainda não voltou, a loja continua sem carregar", want{"steam": Outage}},
		// a present cue nearer the outage than the recovery: the outage is the news
		{"instagram volvió 5 minutos y se murió de nuevo", want{"instagram": Outage}},
		// a past phrase that holds the outage term is past, whatever follows
		{"github was down for an hour this morning", want{"github": Past}},
		// the poster's own connection failing cancels the post's complaints
		{"wifi kosan lemot, youtube buffering terus", want{"youtube": Mention}},
		// a name after a clause mark or opening a later sentence is another clause's
		{"snapchat baar baar crash ho raha hai, insta toh theek hai", want{"snapchat": Outage, "instagram": Mention}},
		// spaced Korean phrases match word by word
		{"카톡 또 터졌어", want{"kakaotalk": Outage}},
	})
}

// TestWordsIn: a name that is an ordinary word in some languages ("teams",
// "signal") is the service next to an outage term of none of them, and not next
// to one of them without its context.
func TestWordsIn(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"Teams ligt eruit? Kan nergens inloggen", want{"teams": Outage}},
		{"snap marche plus, envoyez moi vos trucs sur insta", want{"snapchat": Outage, "instagram": Mention}},
		{"teams açılmıyor derse giremiyorum", want{"teams": Outage}},
		// A name term (said right after a name) of such a language names it too;
		// one of English does not.
		{"Eindexamen morgen en Teams doet het niet meer", want{"teams": Outage}},
		{"wp gitmiş, acil olan telegram'dan yazsın", want{"whatsapp": Outage, "telegram": Mention}},
		{"teams dead after the second half", want{}},
		{"our teams are down 2-0 at half time", want{}},
		{"my phone signal is down in the subway", want{}},
		{"metro ruki hui hai 20 min se, signal problem", want{}},
		// An outage term of another language a few words away names the app.
		{"Steam dice \"si è verificato un errore\" e basta", want{"steam": Outage}},
		{"Outlook sagt nur \"Etwas ist schiefgelaufen\" und sonst nix", want{"outlook": Outage}},
		{"the outlook for the economy is not working out", want{}},
		{"let off some steam after work, nothing is working today", want{}},
		// Market names that are words elsewhere.
		{"dc çöktü mü yoksa bende mi sorun var", want{"discord": Outage}},
		{"dc padł, na kanale głosowym cisza", want{"discord": Outage}},
		{"DC is down to two players after the red card", want{}},
		{"tô no dc agora, bora call", want{"discord": Mention}}, // not Vietnamese "no ... dc" (cannot)
		{"tối nay ko chơi dc, mai lên server nhé", want{"discord": Mention}},
		{"la play store no funciona", want{"google": Outage}},
		// Slavic case endings on a name.
		{"Outlooku nie da się otworzyć od rana", want{"outlook": Outage}},
		{"Discordem nic nie idzie wysłać, nie działa", want{"discord": Outage}},
		{"tt się nie odświeża, ciągle te same filmiki", want{"tiktok": Outage}},
		// A name that folds from an accented word is not the name: "über"
		// is German's "over" (and "über den" is "Uber'den" folded).
		{"über Telegram kommt nichts mehr rein, App hängt bei 'Verbinde…'", want{"telegram": Outage}},
		{"Bestellungen kommen über den Messenger und der zeigt nur 'Nachricht konnte nicht gesendet werden'", want{"messenger": Outage}},
		{"Uber'den araç çağıramıyorum, uygulama çöktü", want{"uber": Outage}},
		{"Uber-App tot, kein Fahrer bestellbar", want{"uber": Outage}},
	})
}

// TestOwnCode: errors in the poster's own code are not the service's; an
// outage said beside them still is.
func TestOwnCode(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"pura din apne code ke errors fix kar raha hu, bas Spotify hi sahara hai", want{"spotify": Mention}},
		{"自己写的代码全是报错，先刷会儿Discord放松一下", want{"discord": Mention}},
		{"自分のコードがエラーだらけで泣きそう、ちょっとDiscord見て休憩", want{"discord": Mention}},
		{"errors in my code all day, spotify is keeping me sane", want{"spotify": Mention}},
		{"errors in my code all day and now github is down too", want{"github": Outage}},
		// an outage term right after the poster's own work is the work's
		{"my code keeps throwing 500 errors and i can't even blame github this time", want{"github": Mention}},
		{"мой код на питоне падает с ошибкой, копилот на гитхабе не спасает", want{"github": Mention}},
		{"chatgpt down lagi wkwk tugas gw gimana", want{"chatgpt": Outage}},
		{"my code is fine, github is down", want{"github": Outage}},
		// "crashed" of a person is sleep
		{"I crashed on the couch and watched Discord for 4 hours", want{"discord": Mention}},
		{"netflix crashed and i crashed too lol", want{"netflix": Outage}},
	})
}

// TestTogether: services said to fail together share the term ("both",
// "ao mesmo tempo", "同時に"), as a list does; so do names a CJK or Thai run
// lists with a particle, and names joined by a connector and an article.
func TestTogether(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"o insta e o face caídos ao mesmo tempo, o zuckerberg tropeçou no cabo de novo", want{"instagram": Outage, "facebook": Outage}},
		{"Teamsもslackも同時に落ちてて今日仕事にならん", want{"teams": Outage, "slack": Outage}},
		{"both insta and fb won't load", want{"instagram": Outage, "facebook": Outage}},
		{"هم اینستا هم واتساپ با هم پریدن", want{"instagram": Outage, "whatsapp": Outage}},
		// a name with its own term before the others is not joined
		{"whatsapp is down so insta and fb both get my time", want{"whatsapp": Outage, "instagram": Mention, "facebook": Mention}},
		{"watching netflix together with friends on discord tonight", want{"netflix": Mention, "discord": Mention}},
		// one run, two names and a list particle
		{"ไลน์กับเฟสล่ม", want{"line": Outage, "facebook": Outage}},
		{"推特和油管同时抽风？今晚什么情况", want{"x": Outage, "youtube": Outage}},
		{"เฟสกับไอจี", want{"facebook": Mention, "instagram": Mention}},
		// a connector and an article
		{"el Outlook y el Teams del curro caídos a la vez", want{"outlook": Outage, "teams": Outage}},
	})
}

// TestOwnSide: an outage term right after the poster's own connection,
// device, VPN or card is the poster's own trouble, unless a service is named
// between, or a supposition term says the poster guessed so wrongly ("I
// thought my wifi died"), or the trouble is with a service named right after
// ("my phone has issues with discord"); a service named right after a not-name term ("liegt
// nicht an", "bukan") is not the one failing, nor are the names listed with it.
func TestOwnSide(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"mein wlan ist kaputt, also kein netflix heute", want{"netflix": Mention}},
		{"มือถือตกน้ำ เปิดไลน์ไม่ได้ ติดต่อทางเฟสนะ", want{"line": Mention, "facebook": Mention}},
		{"my wifi is fine but whatsapp won't load", want{"whatsapp": Outage}},
		// a hashtag is a statement of its own: not "my phone" + "down"
		{"#Whatsappdown WhatsApp واقع، الحمدلله مو من جوالي #downdetector", want{"whatsapp": Outage}},
		{"ไลน์ล่มหรือเน็ตบ้านเราเน่า", want{"line": Outage}},
		{"Liegt nicht an Spotify oder YouTube, die Telekom hat mal wieder ne Störung", want{"spotify": Mention, "youtube": Mention}},
		{"bukan WA atau IG yg error, Telkomsel lagi gangguan", want{"whatsapp": Mention, "instagram": Mention}},
		{"це не телега і не вайбер зламались, це Київстар впав", want{"telegram": Mention, "viber": Mention}},
		{"whatsapp down, not my wifi", want{"whatsapp": Outage}},
		{"สัญญาณAISแถวนี้หายเกลี้ยง ไม่ใช่youtubeล่มนะ", want{"youtube": Mention}},
		{"cracked my screen and the touch doesn't respond, can't even open instagram", want{"instagram": Mention}},
		// the poster's provider down: the cause of every failure the post tells
		{"indihome mati dari pagi, ga bisa nonton youtube sama sekali", want{"youtube": Mention}},
		{"my wifi died, netflix won't load", want{"netflix": Mention}},
		// a data plan used up, and the poster's own fault
		{"ギガ使い切ったからYouTube見れない", want{"youtube": Mention}},
		{"kuota habis, ga bisa buka tiktok", want{"tiktok": Mention}},
		{"build fails on github actions, my own fault for skipping the tests", want{"github": Mention}},
		// an advert riding an outage
		{"insta down? 🔥 fastest VPN here, link in bio", want{"instagram": Mention}},
		// the poster says it is no outage
		{"youtube not loading here, not an outage though, just the hotel wifi", want{"youtube": Mention}},
		// not when asked, or denied
		{"هو الواتس واقع ولا النت عندي اللي بايظ؟", want{"whatsapp": Outage}},
		{"YouTube buffert ohne Ende und nein, mein Internet ist nicht das Problem", want{"youtube": Outage}},
		// nor when it was a wrong guess (supposition_terms), before it or, where
		// the verb comes last, after its outage term; the guess's tense is not
		// the service's
		{"I thought my wifi was broken, turns out instagram is down", want{"instagram": Outage}},
		{"ich dachte mein wlan spinnt, aber whatsapp ist down", want{"whatsapp": Outage}},
		{"думал, у меня инет отвалился, а это телеграм лежит", want{"telegram": Outage}},
		{"internetim gitti sandım, meğer instagram çökmüş", want{"instagram": Outage}},
		{"kirain kuota habis, ternyata tiktok yang error", want{"tiktok": Outage}},
		// or an open guess: the poster's side one of two answers
		{"is netflix down or is it just my wifi? nothing loads", want{"netflix": Outage}},
		{"youtube error terus apa wifi gw yg rusak ya", want{"youtube": Outage}},
		{"turns out it was my wifi, netflix is fine", want{"netflix": Mention}},
		// a dead phone is the poster's; a service dead is the service's
		{"hp gw mati total, ga bisa buka spotify", want{"spotify": Mention}},
		{"Spotify mati total dari tadi, playlist ga bisa diputer", want{"spotify": Outage}},
		// a guess about another post's trouble does not lift the poster's own
		{"my wifi died, netflix won't load, i thought it was the router", want{"netflix": Mention}},
		// the poster's phone having trouble with a service is the service's
		// (with_terms); trouble of its own, then the service, is not
		{"جوالي فيه مشكلة مع انستقرام، يطلعني من الحساب", want{"instagram": Outage}},
		{"mein Handy hat seit heute Probleme mit Telegram", want{"telegram": Outage}},
		{"my phone has issues with discord, voice keeps cutting out", want{"discord": Outage}},
		{"my phone has issues, so no discord tonight", want{"discord": Mention}},
	})
	// A provider that the rules follow as a service is complained of.
	r, err := ParseRules(append(DefaultRulesYAML(), []byte("\n  - {name: jio, display: Jio, aliases: [jio]}\n")...))
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(r)
	m.model = nil
	checkMatches(t, m, []matchCase{{"jio down hai, whatsapp bhi nahi chal raha", want{"jio": Outage, "whatsapp": Outage}}})
}

// TestOnlyMe: "only me?" in a question asks whether a service is down; said
// in a statement it reports nothing.
func TestOnlyMe(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"Instagram nur bei mir?", want{"instagram": Outage}},
		{"Instagram только у меня?", want{"instagram": Outage}},
		{"Instagram 私だけ？", want{"instagram": Outage}},
		{"صرف میرا Instagram ایسا ہے؟", want{"instagram": Outage}},
		{"nur bei mir hat Instagram das neue Design", want{"instagram": Mention}},
		// a question particle asks as a question mark does
		{"Instagram เป็นแค่เราป่ะ", want{"instagram": Outage}},
		{"Instagram chỉ mình mình bị à", want{"instagram": Outage}},
		{"Instagram ako lang ba", want{"instagram": Outage}},
		{"only me watching netflix tonight, everyone's out", want{"netflix": Mention}},
	})
}

// TestAwaited: a recovery asked after ("when will it be back?") is awaited,
// so the service is still down, as is one denied ("still not back"); "when"
// beside a recovery that came is not.
func TestAwaited(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"when will whatsapp be back up", want{"whatsapp": Outage}},
		{"PSN 언제 복구되는지 아는 사람? 급한데", want{"playstation": Outage}},
		{"кто-нибудь знает, когда починят Roblox? сидим всем офисом и ждём", want{"roblox": Outage}},
		{"Kuna mtu anajua PSN itarudi lini? Naihitaji urgent", want{"playstation": Outage}},
		{"Wir sind auf Slack ausgewichen, bis Teams wieder geht", want{"teams": Outage}},
		{"Instagram什么时候恢复", want{"instagram": Outage}},
		{"whatsapp is back up", want{"whatsapp": Recovery}},
		{"jajaja youtube volvió justo cuando reinicié el móvil, casualidad?", want{"youtube": Recovery}},
		{"snap remarche, j'ai quand même perdu ma flamme", want{"snapchat": Recovery}},
		// waiting is awaiting
		{"still waiting for discord to come back", want{"discord": Outage}},
		// where the verb comes last, the waiting after what is awaited; not after a
		// finished statement
		{"카톡 복구 기다리는 중", want{"kakaotalk": Outage}},
		{"यूट्यूब के वापस आने का इंतज़ार कर रहे हैं", want{"youtube": Outage}},
		{"넷플 복구됐다 기다리는 동안 책 읽었음", want{"netflix": Recovery}},
		// a recovery denied: it has not come back
		{"discord still not back, going to bed", want{"discord": Outage}},
		{"カカオトークまだ復旧してないの？", want{"kakaotalk": Outage}},
		{"카톡 아직도 복구 안 됐네", want{"kakaotalk": Outage}},
		{"tiktok todavía no vuelve y ya son las 3", want{"tiktok": Outage}},
		{"insta hâlâ düzelmedi mi ya", want{"instagram": Outage}},
		// nor is "back" before a failure ("again" in Arabic)
		{"الواتس رجع يقفل لحاله", want{"whatsapp": Outage}},
		{"الواتس رجع الحمدلله", want{"whatsapp": Recovery}},
	})
}

// TestVerbLast: in a language that puts the verb last, an outage term is said
// of the name before it; a name after it begins the next clause.
func TestVerbLast(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"Teams落ちてる？会議入れないって上司からLINE来た", want{"teams": Outage, "line": Mention}},
		{"Slack落ちてる？メッセージ送れないから急ぎの件はTeamsでお願いします", want{"slack": Outage, "teams": Mention}},
		{"اینستا ریلز پخش نمیشه ولی تلگرام اوکیه", want{"instagram": Outage, "telegram": Mention}},
		{"लिंक्डइन पर जॉब अप्लाई नहीं हो रहा और आउटलुक में मेल नहीं आ रहा", want{"linkedin": Outage, "outlook": Outage}},
		// not in a language that puts the verb first
		{"youtube is fine, instagram won't load", want{"youtube": Mention, "instagram": Outage}},
	})
}

// TestInflectionAndComparison: a Japanese negative inflected past the list
// ("開かなくて") is the listed term's; a comparison with an earlier outage
// ("like yesterday") says the one now is happening, but "how" opening a
// memory does not.
func TestInflectionAndComparison(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"Xが開かなくて困ってる", want{"x": Outage}},
		{"さっきからインスタが読み込めなくなった", want{"instagram": Outage}},
		{"whatsapp down again, same as yesterday", want{"whatsapp": Outage}},
		{"유튜브 또 먹통 어제처럼", want{"youtube": Outage}},
		{"pamiętacie jak wczoraj padł discord? ale była jazda", want{"discord": Past}},
		{"whatsapp was down yesterday", want{"whatsapp": Past}},
	})
}

// powerRules are the default rules with power companies added (category power).
func powerRules(t testing.TB) *Matcher {
	t.Helper()
	tail, err := os.ReadFile("testdata/power_rules_tail.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRules(append(DefaultRulesYAML(), tail...))
	if err != nil {
		t.Fatal(err)
	}
	return NewMatcher(r)
}

// TestCategories: a power company's outage is told in words of its own ("no
// power", "load shedding"), which count for it and for nothing else; the
// poster's own power cut cancels an app's complaint and is the power
// company's; past and hypotheticals still hold.
func TestCategories(t *testing.T) {
	checkMatches(t, powerRules(t), []matchCase{
		{"@ConEdison power is out in my whole block since 2pm", want{"coned": Outage}},
		{"Eskom load shedding stage 6 again", want{"eskom": Outage}},
		{"hakuna umeme tangu asubuhi, KPLC mnafanya nini?", want{"kplc": Outage}},
		{"mati lampu lagi, PLN kenapa sih", want{"pln": Outage}},
		{"東京電力の停電まだ？", want{"tepco": Outage}},
		{"lights are back, thanks eskom", want{"eskom": Recovery}},
		{"Eskom: yesterday's blackout was caused by a trip at Koeberg", want{"eskom": Past}},
		{"imagine if eskom had no load shedding for a week", want{"eskom": Mention}},
		{"eskom share price falls after results", want{"eskom": Mention}},
		// for an app, the poster's own power cut is no complaint
		{"power cut so no netflix tonight", want{"netflix": Mention}},
		{"hakuna umeme, whatsapp haifanyi kazi kwangu", want{"whatsapp": Mention}},
		// the power cut is the poster's own trouble for any app named with it
		{"x is down and the coned power outage too", want{"x": Mention, "coned": Outage}},
		{"한전 공지: 토요일 오전 설비 점검으로 정전 예정", want{"kepco": Mention}},
		// words said of app outages too do not cancel them
		{"apagón de WhatsApp ahora mismo, no cargan los mensajes", want{"whatsapp": Outage}},
		{"Instagram blackout right now, nothing loads", want{"instagram": Outage}},
	})
	// A power company added without a category is recognised by its name.
	r, err := ParseRules(append(DefaultRulesYAML(), []byte("  - {name: duke, display: Duke Energy, aliases: [duke energy]}\n  - {name: tesla, aliases: [tesla]}\n")...))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Services() {
		if want := map[string]string{"duke": "power"}[s.Name]; s.Category != want {
			t.Errorf("%s: category %q, want %q", s.Name, s.Category, want)
		}
	}
	checkMatches(t, NewMatcher(r), []matchCase{
		{"no power since 2pm, duke energy when is it coming back", want{"duke": Outage}},
		{"no power so the tesla app is dead", want{"tesla": Mention}},
	})
	// The category's terms are no words at all for the default rules.
	checkMatches(t, NewMatcher(DefaultRules()), []matchCase{
		{"power cut so no netflix tonight", want{"netflix": Mention}},
		{"blackout at the stadium, watching on youtube instead", want{"youtube": Mention}},
	})
}

// TestNameTerms: a short word with other senses is a complaint right after a
// name, and nowhere else.
// An adverb may stand inside a term of several words; a stretched word is
// the word; "wa" is WhatsApp in Indonesian but a Swahili word.
func TestAdverbsStretchAndWa(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"Instagram sluit zichzelf gewoon af", want{"instagram": Outage}},
		{"o Instagram fica só rodando", want{"instagram": Outage}},
		{"WhatsApp caiuuuu de novo", want{"whatsapp": Outage}},
		{"instagram ÇÖKTÜÜÜ 😭", want{"instagram": Outage}},
		{"#YouTubeDownnnn", want{"youtube": Outage}},
		{"WA gak bisa kirim pesan", want{"whatsapp": Outage}},
		{"WA down lagi", want{"whatsapp": Outage}},
		{"zoom imekataa wakati wa mtihani, wanafunzi hawawezi kujoin", want{"zoom": Outage, "whatsapp": Mention}},
		{"wakati wa mtihani wanafunzi hawawezi kujoin", want{}},
	})
}

func TestNameTerms(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"steam plat? kan niet inloggen", want{"steam": Outage}},
		{"ยูทูบพัง", want{"youtube": Outage}},
		{"สปอติฟายค้าง", want{"spotify": Outage}},
		{"지메일 안 옴", want{"gmail": Outage}},
		{"줌 수업 계속 튕김", want{"zoom": Outage}},
		{"팀즈 접속 안 돼서 회의 줌으로 바꿈", want{"teams": Outage, "zoom": Mention}},
		{"netflix met een plat bord eten", want{"netflix": Mention}},
		{"ไปเที่ยวพังงากับเพื่อน ดูยูทูบไปด้วย", want{"youtube": Mention}},
		{"大会中にディスコード落ちたら泣く", want{"discord": Mention}},
		// a persistence word and a negator or "nothing" right after the name
		{"discord still dead, day three of no raids", want{"discord": Outage}},
		{"Gmail ancora niente da stamattina", want{"gmail": Outage}},
		{"Spotify nog steeds niet, ik word gek", want{"spotify": Outage}},
		// a name right before a hyphen and a digit is an error code's prefix
		{"PS5 error WS-116522-7 again, cannot sign in", want{"playstation": Outage}},
		// a support handle with a language code
		{"@Snapchat_ar وش السالفة", want{"snapchat": Mention}},
		// a plea and a feature gone
		{"ТЕЛЕГРАМ ВЕРНИСЬ пожалуйста", want{"telegram": Outage}},
		{"Netflix pe subtitles gayab hain aaj", want{"netflix": Outage}},
		// through a copula: a few words on, or at the end of a German or Dutch
		// clause, or after a German or Dutch question's copula
		{"Snap est lent de fou, un message met 2 min à partir", want{"snapchat": Outage}},
		{"Teams ist bei uns seit heute Morgen tot, die Besprechung läuft jetzt über Zoom", want{"teams": Outage, "zoom": Mention}},
		{"Ist Teams gerade bei jemandem langsam?", want{"teams": Outage}},
		{"Netflix is voor mij de beste manier om te ontspannen", want{"netflix": Mention}},
		// no term across a comma: not "no se cayó"
		{"ah no, se cayó whatsapp", want{"whatsapp": Outage}},
		// "what's wrong with you?", said to the service right after its name
		{"اینستاگرام چته؟ هیچی لود نمیشه", want{"instagram": Outage}},
		{"واتساب شفيك اليوم", want{"whatsapp": Outage}},
		{"Discordおかしくない？", want{"discord": Outage}},
		{"حبيبي مالك زعلان، شفت الفيديو على يوتيوب", want{"youtube": Mention}},
	})
}

// TestTypos: a typing slip of a term is read as the term; other one-letter
// edits are not (they make other words as often).
func TestTypos(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"Whatsapp is not wokring at all", want{"whatsapp": Outage}},         // swapped
		{"messages not deliverinf on whatsapp rn", want{"whatsapp": Outage}}, // a neighbouring key
		{"por que meu Instagram não cnoecta?", want{"instagram": Outage}},
		{"wa tunbang", want{"whatsapp": Outage}},                   // a name term, right after the name
		{"netflix crushed it this year", want{"netflix": Mention}}, // u is no neighbour of a
		{"spotify is not spending a cent on this", want{"spotify": Mention}},
		{"Sorun çözüldü, Spotify yine çalıyor", want{"spotify": Recovery}}, // not "çalmıyor" less its m
	})
	for _, c := range []struct {
		w, word string
		want    bool
	}{
		{"wokring", "working", true}, {"ertor", "error", true}, {"errror", "error", true}, {"errpr", "error", true},
		{"error", "error", false}, {"crushed", "crashed", false}, {"spending", "sending", false},
		{"filing", "failing", false}, {"aciliyor", "acilmiyor", false}, {"errxr", "error", false},
	} {
		if got := typoOf([]byte(c.w), []byte(c.word)); got != c.want {
			t.Errorf("typoOf(%q, %q) = %v, want %v", c.w, c.word, got, c.want)
		}
	}
}

// TestSuppositionInRun: in a CJK run, "I thought" undoes the poster's own
// trouble beside it, as in spaced script.
func TestSuppositionInRun(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"我以为我手机坏了，原来是微信出问题了", want{"wechat": Outage}},
		{"telegram yana tormoz", want{"telegram": Outage}},             // a name term through an adverb of its language
		{"discord lagi rame bgt, mabar yuk", want{"discord": Mention}}, // not Indonesian "lagi" before French "rame"
		{"الواتس اب طاح", want{"whatsapp": Outage}},                    // the article on a name of two words
	})
}

// TestPersianEndings: a name with a Persian possessive ending passes the
// prefilter as the scan reads it (the prefilter had skipped every Arabic-script
// word after its article check).
func TestPersianEndings(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"تلگرامم کار نمیکنه، تو تهران کسی دیگه هم قطعه؟", want{"telegram": Outage}},
		{"جیمیلم باز نمیشه", want{"gmail": Outage}},
		{"فیلترشکنم پرید، تلگرامم باز نمیشه", want{"telegram": Mention}},
	})
}

// TestNewLanguages: Ukrainian, Romanian (its article on names too), Swahili,
// Tagalog and Malay complaints.
func TestNewLanguages(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"Телеграм не працює з ранку", want{"telegram": Outage}},
		{"instagramul nu merge deloc", want{"instagram": Outage}},
		{"WhatsApp haifanyi kazi leo", want{"whatsapp": Outage}},
		{"hindi gumagana ang messenger", want{"messenger": Outage}},
		{"whatsapp tak boleh hantar mesej", want{"whatsapp": Outage}},
		{"ik kan nu inloggen op instagram", want{"instagram": Mention}},
	})
}

// TestPotential: a negator a few words before a potential marker says the thing
// cannot be done, whatever the verb between.
func TestPotential(t *testing.T) {
	checkMatches(t, rulesOnly(), []matchCase{
		{"zoom ko vào lớp được", want{"zoom": Outage}},
		{"Messenger ko gọi video được, cứ bị ngắt", want{"messenger": Outage}},
		{"youtube được cái nhiều video hay, không chán", want{"youtube": Mention}},
	})
}

// The model turns what the rules could not place into complaints.
func TestModelSecondOpinion(t *testing.T) {
	rules := rulesOnly()
	m := NewMatcher(DefaultRules())
	for _, tt := range []struct {
		text      string
		rules, mt Kind
	}{
		{"instagram keeps booting me out every five minutes, anyone else?", Mention, Outage},
		{"just posted a new photo on instagram, come see", Mention, Mention},
		// chatter it was trained on (tune_h.jsonl): "taking a break", "I'm dead 💀"
		{"taking a break from whatsapp", Mention, Mention},
	} {
		r, g := rules.Match(nil, tt.text), m.Match(nil, tt.text)
		if len(r) != 1 || len(g) != 1 || r[0].Kind != tt.rules || g[0].Kind != tt.mt {
			t.Errorf("%q: rules %v, with the model %v; want %v then %v", tt.text, r, g, tt.rules, tt.mt)
		}
	}
}

func TestProblems(t *testing.T) {
	m := NewMatcher(nil)
	tests := []struct {
		text string
		want []string
	}{
		{"whatsapp down, can't log in and messages not sending", []string{"login", "messages"}},
		{"whatsapp down? photos won't send, calls drop", []string{"media", "calls"}},
		{"whatsapp web.whatsapp.com not loading", []string{"website"}},
		{"whatsapp down, stuck on connecting...", []string{"connection"}},
		{"whatsapp not working, notifications delayed and the app crashes", []string{"notifications", "app"}},
		{"التويتر يطلعني من الحساب كل شوي", []string{"login"}},
		{"واتساب معطل الرسائل ما توصل", []string{"messages"}},
		{"whatsapp caiu, sem conexão", []string{"connection"}},
		{"whatsapp में वीडियो नहीं चल रहे", []string{"media"}},
		{"WhatsApp çalışmıyor, mesajlar tek tikte kalıyor", []string{"messages"}},
		{"whatsapp down", nil},
	}
	for _, tt := range tests {
		got := m.Match(nil, tt.text)
		if len(got) != 1 || got[0].Kind != Outage {
			t.Errorf("%q: got %v, want one outage", tt.text, got)
			continue
		}
		if !reflect.DeepEqual(got[0].Problems, tt.want) {
			t.Errorf("%q: problems %v, want %v", tt.text, got[0].Problems, tt.want)
		}
	}
	if got := m.Match(nil, "sent a whatsapp message"); len(got) != 1 || got[0].Problems != nil {
		t.Errorf("mention carries problems: %v", got)
	}
}

func TestKind(t *testing.T) {
	for k, s := range map[Kind]string{Mention: "mention", Outage: "outage", Recovery: "recovery", Past: "past"} {
		b, err := k.MarshalText()
		if k.String() != s || err != nil || string(b) != s {
			t.Errorf("kind %d: %q %q %v", k, k.String(), b, err)
		}
	}
	if _, err := Kind(0).MarshalText(); err == nil {
		t.Error("Kind(0).MarshalText: no error")
	}
}

// TestManyContextAliases: a context term validates only the aliases it is
// listed for, however many context aliases a rules file has (the default rules
// have more than 64, one bit each in a word of 64).
func TestManyContextAliases(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\noutage_terms:\n  en: [down]\nservices:\n")
	for i := range 130 {
		fmt.Fprintf(&b, "  - name: s%d\n    aliases: [service%d]\n    context_aliases:\n      - alias: word%d\n        requires_context: [ctx%d]\n", i, i, i, i)
	}
	r, err := ParseRules([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(r)
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"word1 ctx1 today", []string{"s1"}},
		{"word1 ctx65 today", nil}, // 65 = 1 + 64
		{"word1 ctx129 today", nil},
		{"word65 ctx65 today", []string{"s65"}},
		{"word129 ctx1 ctx129 today", []string{"s129"}},
	} {
		var got []string
		for _, x := range m.Match(nil, tc.text) {
			got = append(got, x.Service)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: services %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestServicesRelated(t *testing.T) {
	r := DefaultRules()
	var names []string
	for _, s := range r.Services() {
		names = append(names, s.Name)
	}
	for _, n := range []string{"whatsapp", "x", "facebook", "instagram", "telegram", "youtube", "tiktok", "gmail", "discord", "netflix"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+n+" ") {
			t.Errorf("default rules lack %s (have %v)", n, names)
		}
	}
	if names[0] != "whatsapp" {
		t.Errorf("services not in file order: %v", names)
	}
	if len(names) < 40 {
		t.Errorf("default rules have %d services, want at least 40", len(names))
	}
	if got := r.Related("whatsapp"); !reflect.DeepEqual(got, []string{"facebook", "instagram", "messenger", "threads"}) {
		t.Errorf("Related(whatsapp) = %v", got)
	}
	if got := r.Related("youtube"); !reflect.DeepEqual(got, []string{"gmail", "google", "google-drive"}) {
		t.Errorf("Related(youtube) = %v", got)
	}
	if got := r.Related("telegram"); got != nil {
		t.Errorf("Related(telegram) = %v", got)
	}
	if string(DefaultRulesYAML()) != string(defaultRulesYAML) {
		t.Error("DefaultRulesYAML differs")
	}
}

func TestParseRulesErrors(t *testing.T) {
	base := "version: 1\nservices:\n  - name: a\n    aliases: [aa]\n"
	tests := []struct {
		name, yaml string
		line, col  int
		msg        string
	}{
		{"unknown top key", "version: 1\naliasses: [x]\n", 2, 1, `unknown key "aliasses"`},
		{"unknown service key", "version: 1\nservices:\n  - name: a\n    aliasses: [a]\n", 4, 5, `unknown key "aliasses"`},
		{"empty name", "version: 1\nservices:\n  - name: \"\"\n    aliases: [a]\n", 3, 11, "empty service name"},
		{"duplicate name", base + "  - name: a\n    aliases: [b]\n", 5, 11, `duplicate service "a"`},
		{"empty alias", "version: 1\nservices:\n  - name: a\n    aliases: [ok, \"\"]\n", 4, 19, "empty term"},
		{"punctuation alias", "version: 1\nservices:\n  - name: a\n    aliases:\n      - \"!!\"\n", 5, 9, "empty term"},
		{"no aliases", "version: 1\nservices:\n  - name: a\n    display: A\n", 3, 5, "no aliases"},
		{"bad version", "version: 2\n" + base[11:], 1, 10, "unsupported version"},
		{"missing version", base[11:], 1, 1, "missing key"},
		{"syntax", "version: 1\nservices: [\n", 2, 0, "did not find"},
		{"terms not list", base + "outage_terms: down\n", 5, 15, "want a list"},
		{"lang not list", base + "outage_terms:\n  en: down\n", 6, 7, "want a list"},
		{"bad fuzzy", "version: 1\nservices:\n  - name: a\n    fuzzy: yes please\n    aliases: [a]\n", 4, 12, "fuzzy"},
		{"context without terms", "version: 1\nservices:\n  - name: a\n    context_aliases:\n      - alias: b\n", 5, 9, "requires_context"},
		{"problems not map", base + "problems: [a]\n", 5, 11, "problems"},
		{"words_in unknown language", "version: 1\noutage_terms:\n  en: [down]\nservices:\n  - name: a\n    context_aliases:\n      - alias: b\n        words_in: [xx]\n        requires_context: [c]\n", 8, 19, `no outage or recovery terms in language "xx" (they are in en)`},
		{"not a mapping", "- a\n", 1, 1, "mapping"},
		{"unknown category", "version: 1\ncategories:\n  power:\n    outage_terms: [no power]\nservices:\n  - name: a\n    category: water\n    aliases: [a]\n", 7, 15, `unknown category "water" (known: power)`},
		{"no categories", base + "    category: power\n", 5, 15, "the file has no categories"},
		{"category without outage terms", "version: 1\ncategories:\n  power:\n    recovery_terms: [power is back]\n" + base[11:], 3, 3, "no outage_terms"},
		{"category unknown key", "version: 1\ncategories:\n  power:\n    outage: [x]\n" + base[11:], 4, 5, `unknown key "outage"`},
		{"empty", "", 1, 1, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules([]byte(tt.yaml))
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v (%T), want *RuleError", err, err)
			}
			if re.Line != tt.line || re.Column != tt.col || !strings.Contains(re.Msg, tt.msg) {
				t.Errorf("got line %d column %d %q, want line %d column %d containing %q", re.Line, re.Column, re.Msg, tt.line, tt.col, tt.msg)
			}
		})
	}
	err := (&RuleError{Line: 12, Column: 5, Msg: `unknown key "aliasses"`}).Error()
	if err != `line 12, column 5: unknown key "aliasses"` {
		t.Errorf("Error() = %q", err)
	}
}

func TestLoadRules(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	custom := "version: 1\noutage_terms: [kaputt]\nservices:\n  - name: acme\n    display: Acme\n    aliases: [acme, \"acme cloud\"]\n"
	if err := os.WriteFile(good, []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRules(good)
	if err != nil {
		t.Fatal(err)
	}
	got := NewMatcher(r).Match(nil, "Acme Cloud ist kaputt")
	if len(got) != 1 || got[0].Service != "acme" || got[0].Kind != Outage {
		t.Errorf("custom rules: %v", got)
	}
	bad := filepath.Join(dir, "x.yaml")
	os.WriteFile(bad, []byte("version: 1\nservices: []\nfoo: 1\n"), 0o644)
	_, err = LoadRules(bad)
	var re *RuleError
	if !errors.As(err, &re) || re.Line != 3 || !strings.HasPrefix(err.Error(), "rules file "+bad+": line 3, column 1: ") {
		t.Errorf("LoadRules(bad) = %v", err)
	}
	if _, err := LoadRules(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("LoadRules(missing) = %v", err)
	}
}

func TestMatchConcurrent(t *testing.T) {
	m := NewMatcher(nil)
	done := make(chan bool)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 200; i++ {
				text := benchSentences[(g*31+i)%len(benchSentences)]
				a := m.Match(nil, text)
				b := m.Match(nil, text)
				if !reflect.DeepEqual(a, b) {
					t.Errorf("unstable result for %q", text)
				}
			}
			done <- true
		}(g)
	}
	for g := 0; g < 8; g++ {
		<-done
	}
}

func TestMatchAppends(t *testing.T) {
	m := NewMatcher(nil)
	dst := []Match{{Service: "prev", Kind: Mention}}
	dst = m.Match(dst, "whatsapp down")
	if len(dst) != 2 || dst[0].Service != "prev" || dst[1].Service != "whatsapp" {
		t.Errorf("Match did not append: %v", dst)
	}
	// A huge post is examined up to maxInput bytes and does not panic.
	big := strings.Repeat("whatsapp down ", 200000)
	if got := m.Match(nil, big); len(got) != 1 {
		t.Errorf("big post: %v", got)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"#WhatsAppDown", "#ÉtéInstagramDown #İstanbulX", "WhatsApp", "واتس آب", "वॉट्सऐप", "Störung", "ﬁ", "\xff\xfe", "İı", "ǅ", "ᄀ\u1161", "e\u0301\u0301", "\u0301a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 out of %q: %q", s, n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, n2)
		}
		ref := normalizer{slow: true}
		if r := string(ref.run(nil, s, false)); r != n {
			t.Fatalf("fast path differs on %q: %q, reference %q", s, n, r)
		}
		// With hashtag camel-case tracking, as the matcher runs it.
		var fast normalizer
		got := string(fast.run(nil, s, true))
		ref = normalizer{slow: true}
		if want := string(ref.run(nil, s, true)); got != want || !slices.Equal(fast.camel, ref.camel) {
			t.Fatalf("camel tracking differs on %q: %q %v, reference %q %v", s, got, fast.camel, want, ref.camel)
		}
	})
}

func FuzzMatch(f *testing.F) {
	for _, s := range benchSentences[:40] {
		f.Add(s)
	}
	f.Add("#WhatsAppDown_واتساب_معطل x.com @x #xdown")
	for _, s := range []string{"wahtsap caiu", "whatsappnya error", "instagramda sorun var", "الواتساب واقع", "ツイッター落ちてる", "#Discord障害", "ёлка Ёж ﾂｲｯﾀｰ ｗｈａｔｓａｐｐ", "ऩ क़ नहीं चल रहा", "internetim gitti sandım, instagram çökmüş", "i thought my wifi died. insta down"} {
		f.Add(s)
	}
	m := NewMatcher(nil)
	full := NewMatcher(nil)
	full.noPrefilter = true
	known := map[string]bool{}
	for _, s := range DefaultRules().Services() {
		known[s.Name] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		seen := map[string]bool{}
		got := m.Match(nil, s)
		if want := full.Match(nil, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: prefilter changes the result: %v, without %v", s, got, want)
		}
		for _, mt := range got {
			if !known[mt.Service] || seen[mt.Service] {
				t.Fatalf("%q: bad match %v", s, mt)
			}
			seen[mt.Service] = true
			if mt.Kind < Mention || mt.Kind > Recovery {
				t.Fatalf("%q: bad kind %v", s, mt)
			}
		}
	})
}

func ExampleMatcher_Match() {
	m := NewMatcher(DefaultRules())
	for _, text := range []string{
		"is #whatsappdown for anyone else? messages stuck on one tick",
		"واتس آب لا يعمل",
		"new AI stickers on WhatsApp!",
		"WhatsApp is back",
		"nice weather today",
	} {
		ms := m.Match(nil, text)
		for _, mt := range ms {
			// Wording: what a complaint says apart from the names (0 when too short)
			fmt.Println(mt.Service, mt.Kind, mt.Problems, mt.Wording != 0)
		}
		if len(ms) == 0 {
			fmt.Println("no service")
		}
	}
	// Output:
	// whatsapp outage [messages] true
	// whatsapp outage [] false
	// whatsapp mention [] false
	// whatsapp recovery [] false
	// no service
}

// TestPrefilterCorpus: on every corpus post and generated sentence, the
// prefilter does not change the result.
func TestPrefilterCorpus(t *testing.T) {
	m := NewMatcher(nil)
	full := NewMatcher(nil)
	full.noPrefilter = true
	data, err := os.ReadFile("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	texts := append([]string(nil), benchSentences...)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c corpusPost
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, c.Text, strings.ToUpper(c.Text), strings.ReplaceAll(c.Text, "a", "aa"))
	}
	for _, s := range texts {
		if got, want := m.Match(nil, s), full.Match(nil, s); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v, without prefilter %v", s, got, want)
		}
		ref := normalizer{slow: true}
		if got, want := Normalize(s), string(ref.run(nil, s, false)); got != want {
			t.Errorf("Normalize(%q) = %q, reference %q", s, got, want)
		}
	}
}

// TestPrefilterSelective: most posts that name no service leave after the
// prefilter (the writers' posts naming none of the services: a quarter went on
// to the scan while a bit of its bitsets set by another word answered "maybe").
func TestPrefilterSelective(t *testing.T) {
	m := NewMatcher(nil)
	files, err := filepath.Glob("testdata/tune_*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatal("no tuning corpora", err)
	}
	n, passed := 0, 0
	sc := &scratch{}
	for _, f := range files {
		posts, _ := loadLabelled(t, f, "")
		for _, p := range posts {
			if len(p.kinds) > 0 || len(m.Match(nil, p.text)) > 0 {
				continue
			}
			n++
			if m.tokens(sc, p.text); len(sc.toks) > 0 && m.mayName(sc) {
				passed++
			}
		}
	}
	t.Logf("%d posts naming no service, %d past the prefilter", n, passed)
	if n < 500 || float64(passed) > 0.08*float64(n) {
		t.Errorf("%d of %d posts naming no service past the prefilter: want at most 8%%", passed, n)
	}
}

// TestPrefilterEdits: every one-edit variant of every fuzzy alias, and every
// longer alias split over tokens and hashtags or with a case ending, is found as
// without the prefilter.
func TestPrefilterEdits(t *testing.T) {
	m := NewMatcher(nil)
	full := NewMatcher(nil)
	full.noPrefilter = true
	var texts []string
	for _, ids := range m.r.fuzzy {
		for _, id := range ids {
			a := m.r.phrases[id].toks[0]
			var vs []string
			for i := 1; i <= len(a); i++ {
				vs = append(vs, a[:i]+"q"+a[i:]) // insertion
				if i < len(a) {
					vs = append(vs, a[:i]+a[i+1:], a[:i]+"q"+a[i+1:]) // deletion, substitution
				}
				if i+1 < len(a) {
					vs = append(vs, a[:i]+a[i+1:i+2]+a[i:i+1]+a[i+2:]) // transposition
				}
			}
			for _, v := range vs {
				texts = append(texts, v+" is down", "my "+v+" not working", "@"+v+" down?")
			}
		}
	}
	for id, p := range m.r.phrases {
		if p.cat == catAlias && len(p.toks) > 1 && !m.r.isCJK(int32(id)) {
			joined := strings.Join(p.toks, " ")
			texts = append(texts, joined+" is down", "#"+strings.Join(p.toks, "")+"down", "@"+joined+" down", "my "+joined+". down")
			if p.prefixLast {
				texts = append(texts, joined+"가 안 돼요") // a Korean particle on the last word
			}
			// the last word with a case ending ("Тик Токни", "апп стордан")
			for _, suf := range suffixesByLast {
				for _, suf := range suf {
					if last := p.toks[len(p.toks)-1]; (last[0] < utf8.RuneSelf) == (suf[0] < utf8.RuneSelf) {
						texts = append(texts, joined+suf+" ishlamayapti")
					}
				}
			}
		}
	}
	for _, s := range texts {
		if got, want := m.Match(nil, s), full.Match(nil, s); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v, without prefilter %v", s, got, want)
		}
	}
	t.Logf("%d texts", len(texts))
}

// TestNormalizeFastPaths: the fast paths give what the general path gives,
// for every rune they cover, alone and followed by combining marks.
func TestNormalizeFastPaths(t *testing.T) {
	ranges := [][2]rune{{0x0080, 0x07FF}, {0x0400, 0x045F}, {0x0600, 0x06FF}, {0x0900, 0x097F}, {0x3000, 0x30FF}, {0x4E00, 0x4E40}, {0x9FF0, 0x9FFF}, {0x2600, 0x27BF}, {0x1F300, 0x1FAFF}}
	marks := []string{"", "\u0308", "\u0301", "\u093C", "\u094D", "\u094D\u093C", "\u093C\u094D", "\u3099", "\u0651", "\u0654"}
	for _, rg := range ranges {
		for r := rg[0]; r <= rg[1]; r++ {
			for _, mk := range marks {
				s := "a" + string(r) + mk + "क" + string(r)
				ref := normalizer{slow: true}
				if got, want := Normalize(s), string(ref.run(nil, s, false)); got != want {
					t.Errorf("Normalize(%q) = %q, general path %q", s, got, want)
				}
			}
		}
	}
}

// sameTokensASCII fails unless, for a text the ASCII path takes, it folds and
// tokenizes the text exactly as the general path does.
func sameTokensASCII(t *testing.T, m *Matcher, s string) {
	t.Helper()
	fast := &scratch{}
	b, ok := foldASCII(nil, s)
	if !ok {
		return
	}
	fast.buf = fast.nz.squeezeASCII(b) // as prepare does
	m.tokenizeASCII(fast)
	ref := &scratch{}
	ref.buf = ref.nz.run(nil, s, true)
	m.tokenize(ref)
	if string(fast.buf) != string(ref.buf) || !slices.Equal(fast.toks, ref.toks) {
		t.Fatalf("%q: ASCII path %q %v, general path %q %v", s, fast.buf, fast.toks, ref.buf, ref.toks)
	}
}

func FuzzTokenizeASCII(f *testing.F) {
	for _, s := range []string{"Is WhatsApp DOWN?? see https://x.com/a b", "web.whatsapp.com. ok|no;yes\nnext", "a.b. .c www.x.y z", "ZZ@@", "x\t\ty_z 123abc",
		"https://downdetector.com/status/whatsapp/ x", "downdetector.co.id/status/x?a=1#b", "isdown.app/./.. outage.report/"} {
		f.Add(s)
	}
	m := NewMatcher(nil)
	f.Fuzz(func(t *testing.T, s string) { sameTokensASCII(t, m, s) })
}

// TestTokenizeASCII: the ASCII path on every ASCII sentence of the corpus and the
// benchmarks, and on texts whose length tests every tail of the eight-byte loop.
func TestTokenizeASCII(t *testing.T) {
	m := NewMatcher(nil)
	texts := append([]string(nil), benchSentences...)
	data, err := os.ReadFile("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c corpusPost
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, c.Text, strings.ToUpper(c.Text))
	}
	for n := 0; n <= 24; n++ {
		for _, c := range []byte{'A', 'Z', '@', '[', '#', '`', 'z', '{', 0x7f, 0x80} {
			s := []byte(strings.Repeat("Wa. ", 6)[:n])
			s = append(s, c)
			texts = append(texts, string(s))
			if _, ok := foldASCII(nil, string(s)); ok != (c != '@' && c != '#' && c < 0x80) {
				t.Errorf("foldASCII(%q) ok = %v", s, ok)
			}
		}
	}
	for _, s := range texts {
		sameTokensASCII(t, m, s)
	}
}

// TestDecodeTwoBytes: the inline two-byte decoding agrees with utf8.DecodeRune
// on every pair of bytes (valid, overlong, truncated or not).
func TestDecodeTwoBytes(t *testing.T) {
	for c0 := 0x80; c0 < 0x100; c0++ {
		for c1 := 0; c1 < 0x100; c1++ {
			b := []byte{byte(c0), byte(c1)}
			r, n := decode(b, 0)
			wr, wn := utf8.DecodeRune(b)
			if r != wr || n != wn {
				t.Fatalf("% x: %U %d, utf8.DecodeRune %U %d", b, r, n, wr, wn)
			}
		}
	}
}

// TestTentativeNames: an ambiguous name nothing validated, in a post naming no
// other service, is kept for the model (mention.tentative), never by the rules
// alone, and not when a term of the post is of a language in which the name
// is a word; the model names it only when it is confident of a complaint.
func TestTentativeNames(t *testing.T) {
	const teams = "Ist Teams gerade bei euch auch so komisch? Bei mir lädt gar nichts"
	checkMatches(t, rulesOnly(), []matchCase{
		{teams, want{}},
		{"X geeft alleen maar 'Er is iets misgegaan. Probeer het opnieuw.' Iemand anders?", want{}},
	})
	kept := rulesOnly()
	kept.keepTentative = true // what training reads: the rules' kind of a kept name
	checkMatches(t, kept, []matchCase{
		{teams, want{"teams": Outage}},
		{"Ist Teams gerade komisch? WhatsApp geht", want{"whatsapp": Mention}}, // another service is named
		{"signal is down", want{}},                                             // "down" is English, and "signal" an English word
		{"our teams are down 2-0 at half time", want{}},
	})
	checkMatches(t, NewMatcher(DefaultRules()), []matchCase{
		{teams, want{"teams": Outage}},
		{"X geeft alleen maar 'Er is iets misgegaan. Probeer het opnieuw.' Iemand anders?", want{"x": Outage}},
		{"signal is down", want{}},
		{"our teams are down 2-0 at half time", want{}},
	})
	// The model's bar for it: an ordinary name's where every term of the post is
	// of a language in which the name is no word, the ambiguous name's otherwise.
	m := NewMatcher(DefaultRules())
	for _, c := range []struct {
		text    string
		foreign bool
	}{
		{"steam indirme hızı 0'a düştü, sorun bende mi", true},
		{"Ist Teams gerade bei euch auch so komisch? Bei mir lädt gar nichts", true},
		{"Dank je Teams, om precies tijdens m'n presentatie te crashen", true},
		// "na" is also a Hinglish post-negator, and "teams" a Hinglish word
		{"teams não deixa compartilhar a tela, na hora da minha apresentação claro", false},
		{"teams 🙄🙄", false}, // no term at all
	} {
		sc := &scratch{}
		if !m.prepare(sc, c.text) || len(sc.mentions) == 0 {
			t.Errorf("%q: no name found", c.text)
			continue
		}
		if got := sc.foreignName(sc.mentions[0].svc); got != c.foreign {
			t.Errorf("foreignName(%q) = %v, want %v", c.text, got, c.foreign)
		}
	}
}

// TestTaggedReportNotVetoed: a post that names a service in its words and
// files itself under the outage's hashtag keeps the rules' complaint however
// sure the model is of none (a model here that would veto every complaint); a
// post naming it only in the hashtag, or saying it is back, stays the model's.
func TestTaggedReportNotVetoed(t *testing.T) {
	m := NewMatcher(nil)
	md := *m.model
	md.veto = [nClasses]float32{1.01, 1.01, 1.01, 1.01} // every complaint vetoed
	m.model = &md
	for _, tc := range []struct {
		text string
		want Kind
	}{
		{"whatsapp yine mi çöktü #whatsappçöktü", Outage},
		{"خلل في واتساب الحين #انقطاع_واتساب", Outage},
		{"whatsapp yine mi çöktü", Mention},                                // vetoed: no hashtag
		{"ugh whatsapp not loading tonight, help #instagramdown", Mention}, // the hashtag is another service's
		{"SMS ilimitados, siempre llegan 😉 #WhatsAppCaído", Mention},       // named in the hashtag alone
		{"ugh whatsapp geht nicht, so ein mist #whatsapp", Mention},        // a hashtag with no outage term
	} {
		got := Mention
		for _, mt := range m.Match(nil, tc.text) {
			if mt.Service == "whatsapp" {
				got = mt.Kind
			}
		}
		if got != tc.want {
			t.Errorf("%q: whatsapp %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestOwnNameFuzzy: a service's own name takes one-edit slips wherever the
// rules list it among its misspellings ("youtub" listed before "youtube" once
// made "youtube" a derived spelling, and its slips went unmatched).
func TestOwnNameFuzzy(t *testing.T) {
	m := NewMatcher(nil)
	for _, text := range []string{"yotuube is down again", "youttube is down again", "youtbue is down again", "instagarm is down again"} {
		ms := m.Match(nil, text)
		if len(ms) != 1 || ms[0].Kind != Outage {
			t.Errorf("%q: %v, want one outage", text, ms)
		}
	}
}
