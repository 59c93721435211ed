#!/usr/bin/env python3
"""Generates corpus.jsonl: labelled posts for the matcher's accuracy test.

Written by hand from how people post about outages, not from any data set:
per language, outage complaints, recovery notes and hard negatives (brand
chatter, negation, "download"/"down to", ambiguous names without context,
past outages, news about another service, launch hype), with service names
spelt the ways people spell them. Deterministic (seeded).

    python3 gen_corpus.py > corpus.jsonl
"""
import json, random

rng = random.Random(20261123)

# service -> spellings, per language (what people type in that language)
COMMON = {
    "whatsapp": ["WhatsApp", "whatsapp", "Whatsapp", "WA"],
    "instagram": ["Instagram", "insta", "IG", "instagram"],
    "facebook": ["Facebook", "FB", "facebook"],
    "youtube": ["YouTube", "youtube", "YT"],
    "x": ["Twitter", "twitter", "X"],
    "telegram": ["Telegram", "telegram"],
    "tiktok": ["TikTok", "tiktok"],
    "gmail": ["Gmail", "gmail"],
    "discord": ["Discord", "discord"],
    "netflix": ["Netflix", "netflix"],
    "spotify": ["Spotify", "spotify"],
    "snapchat": ["Snapchat", "snapchat"],
    "reddit": ["Reddit", "reddit"],
    "chatgpt": ["ChatGPT", "chatgpt", "Chat GPT"],
    "roblox": ["Roblox", "roblox"],
    "fortnite": ["Fortnite", "fortnite"],
    "paypal": ["PayPal", "paypal"],
    "github": ["GitHub", "github"],
    "outlook": ["Outlook", "Hotmail"],
    "icloud": ["iCloud", "icloud"],
    "twitch": ["Twitch", "twitch"],
    "linkedin": ["LinkedIn", "linkedin"],
    "cloudflare": ["Cloudflare", "cloudflare"],
    "aws": ["AWS", "aws"],
    "playstation": ["PSN", "PlayStation Network", "PlayStation"],
    "xbox": ["Xbox Live", "Xbox", "xbox"],
    "wechat": ["WeChat", "wechat"],
    "skype": ["Skype", "skype"],
    "pinterest": ["Pinterest", "pinterest"],
}
LOCAL = {
    "ar": {"whatsapp": ["واتساب", "الواتساب", "واتس آب", "واتس اب", "الواتس", "WhatsApp"],
           "instagram": ["انستقرام", "الانستا", "انستغرام", "Instagram"],
           "facebook": ["فيسبوك", "الفيس", "فيس بوك"],
           "youtube": ["يوتيوب", "اليوتيوب", "YouTube"],
           "x": ["تويتر", "Twitter"],
           "telegram": ["تيليجرام", "تلجرام"],
           "tiktok": ["تيك توك", "التيك توك"],
           "snapchat": ["سناب", "السناب", "سناب شات"],
           "netflix": ["نتفلكس", "نتفليكس"],
           "gmail": ["جيميل", "Gmail"],
           "chatgpt": ["شات جي بي تي", "ChatGPT"],
           "playstation": ["البلايستيشن", "بلايستيشن"],
           "google": ["جوجل", "قوقل"]},
    "hi": {"whatsapp": ["व्हाट्सएप", "वॉट्सऐप", "WhatsApp"],
           "instagram": ["इंस्टाग्राम", "इंस्टा", "Instagram"],
           "facebook": ["फेसबुक", "Facebook"],
           "youtube": ["यूट्यूब", "YouTube"],
           "x": ["ट्विटर", "Twitter"],
           "telegram": ["टेलीग्राम"],
           "gmail": ["जीमेल", "Gmail"],
           "netflix": ["नेटफ्लिक्स"],
           "google": ["गूगल"],
           "spotify": ["स्पॉटिफाई"]},
    "ru": {"whatsapp": ["ватсап", "вотсап", "WhatsApp", "вацап"],
           "instagram": ["инстаграм", "инста", "Instagram"],
           "facebook": ["фейсбук", "Facebook"],
           "youtube": ["ютуб", "YouTube"],
           "x": ["твиттер", "Twitter"],
           "telegram": ["телеграм", "телега", "Telegram", "тг"],
           "discord": ["дискорд", "Discord"],
           "tiktok": ["тикток", "TikTok"],
           "google": ["гугл"],
           "steam": ["стим", "Steam"],
           "skype": ["скайп"]},
    "fa": {"whatsapp": ["واتساپ", "واتس‌اپ", "WhatsApp"],
           "instagram": ["اینستاگرام", "اینستا"],
           "telegram": ["تلگرام", "Telegram"],
           "youtube": ["یوتیوب"],
           "x": ["توییتر", "توئیتر"],
           "google": ["گوگل"],
           "gmail": ["جیمیل"],
           "spotify": ["اسپاتیفای"]},
    "ja": {"whatsapp": ["WhatsApp", "ワッツアップ"],
           "instagram": ["インスタ", "Instagram", "インスタグラム"],
           "x": ["ツイッター", "Twitter", "X"],
           "youtube": ["YouTube", "ようつべ", "ユーチューブ"],
           "line": ["LINE", "ライン"],
           "discord": ["Discord", "ディスコード"],
           "netflix": ["ネトフリ", "Netflix"],
           "tiktok": ["TikTok", "ティックトック"],
           "playstation": ["PSN", "プレステ"],
           "chatgpt": ["ChatGPT"],
           "google": ["グーグル", "Google"]},
}
SVC = {l: dict(COMMON) for l in ["en", "es", "pt", "fr", "de", "tr", "id", "hi-Latn"]}
for l, d in LOCAL.items():
    SVC[l] = d

T = {}  # lang -> {"outage": [...], "recovery": [...], "negative": [(template, service_or_None)]}

T["en"] = dict(
    outage=[
        "is {s} down for anyone else??", "{s} down again. great.", "{s} not working at all",
        "can't log into {s}, keeps saying something went wrong", "{s} won't load on my phone or laptop",
        "my {s} messages aren't sending, anyone else?", "{s} is broken right now lol",
        "{s} keeps crashing every time I open it", "anyone else having issues with {s} rn?",
        "#{t}down", "{s} servers down?", "is it just me or is {s} not loading",
        "ugh {s} outage during my meeting", "{s} isn't working for me, tried wifi and data",
        "{s} stuck on loading screen for 20 min", "{s} just logged me out and I can't get back in",
        "what is going on with {s} today, nothing loads", "{s} has been down for an hour now",
        "{s} totally dead here in London", "notifications from {s} not coming through at all",
        "{s} giving me errors on every page", "{s} keeps freezing, unusable", "{s} is down. again.",
        "{s} not responding, restarted my phone twice", "hey @{h} your app is down, fix it",
        "so {s} is having problems... can't send anything", "{s} down or is it my wifi?",
        "{s} isn't loading my feed", "{s} not opening at all",
    ],
    recovery=[
        "{s} is back up!", "ok {s} working again", "{s} back online, finally",
        "looks like {s} is fixed now", "{s} is back, panic over",
    ],
    negative=[
        "new features on {s} are actually cool", "just posted a new video on {s}, go check it out",
        "follow me on {s} for more", "{s} is not down for me, works fine", "is {s} down? nope, just my internet",
        "downloading {s} on my new phone", "I'm down to try {s} later", "remember when {s} went down in 2021? chaos",
        "{s} stock is down 3% today", "my mom finally joined {s}", "{s} just dropped a huge update, the new design broke the internet lol",
        "deleted {s} for a month, feeling great", "shut down your laptop and go outside, not everything is {s}",
        "this {s} trend is hilarious", "calm down, it's just {s} drama", "{s} launching new AI stickers today!",
    ],
    amb=[
        ("the x factor was great tonight", None), ("my phone signal is down in the subway", None),
        ("both teams are down to ten men", None), ("threads of the old jacket are coming loose", None),
        ("waiting in line for coffee, line is so slow", None), ("the amazon rainforest fires are getting worse", None),
        ("über die Brücke, lol wrong language", None), ("zoom in on the photo, the cat is down there", None),
        ("had a snap decision to quit", None), ("full steam ahead this week", None),
        ("cut me some slack, I just woke up", None), ("the power is down on our street again", None),
        ("my bank app is down again", None), ("the elevator at work is broken", None),
        ("feeling down today", None), ("let me write this down before I forget", None),
        ("the wifi at this cafe is down", None), ("down to earth people are the best", None),
        ("prime minister speech tonight", None), ("disney world trip was amazing", None),
        ("the stripe on this shirt is crooked", None), ("gen x humor is unmatched", None),
        ("the outlook for the economy is grim", None), ("slept through my alarm, brain not working", None),
    ],
)
T["es"] = dict(
    outage=[
        "¿se cayó {s}?", "{s} caído otra vez", "{s} no funciona desde hace una hora",
        "no me cargan los mensajes de {s}", "{s} no abre, ¿a alguien más le pasa?",
        "{s} anda fatal hoy", "#{t}caido", "se cayó {s} justo ahora", "{s} no me deja iniciar sesión",
        "¿qué le pasa a {s}? no carga nada", "{s} con fallas en México", "{s} está caído en todo el mundo?",
        "los audios de {s} no se envían", "{s} se queda cargando y nada", "{s} no sirve, qué onda",
        "problemas con {s} desde temprano", "{s} me cierra la sesión a cada rato", "{s} sin servicio aquí en Bogotá",
    ],
    recovery=["ya volvió {s}", "{s} ya funciona", "volvió {s} gracias a dios", "{s} funciona de nuevo"],
    negative=[
        "me encanta la nueva función de {s}", "síganme en {s}", "{s} no está caído, es tu internet",
        "descargando {s} en el celular nuevo", "mi abuela ya usa {s} jaja", "¿se acuerdan cuando se cayó {s} en 2021?",
        "{s} lanzó stickers nuevos", "subí un video a {s}", "me bajé de {s} por salud mental",
        "el {s} de mi novia está lleno de memes",
    ],
    amb=[("se cayó el internet en la oficina", None), ("el metro va lleno", None), ("se fue el agua otra vez", None),
         ("qué partidazo anoche", None), ("me caí de la bici jaja", None), ("la línea del metro 2 no funciona", None)],
)
T["pt"] = dict(
    outage=[
        "{s} caiu?", "o {s} caiu de novo", "{s} fora do ar", "{s} não tá funcionando aqui",
        "meu {s} não manda mensagem", "{s} bugado demais hoje", "#{t}caiu", "{s} travando muito",
        "alguém mais com o {s} sem carregar?", "o {s} não abre de jeito nenhum", "{s} deu pau de novo",
        "{s} tá off??", "mensagens do {s} não chegam", "{s} me deslogou sozinho", "caiu o {s} bem na hora do trabalho",
        "{s} instável em SP", "o que aconteceu com o {s}? não carrega nada", "{s} com problema no login",
    ],
    recovery=["{s} voltou!", "voltou o {s} finalmente", "{s} já funciona", "{s} normalizou aqui"],
    negative=[
        "amei a nova atualização do {s}", "me segue no {s}", "o {s} não caiu, é sua internet",
        "baixando o {s} no celular novo", "minha vó aprendeu a usar o {s}", "lembra quando o {s} caiu em 2021?",
        "{s} lançou figurinhas novas", "postei foto no {s}", "saí do {s} por uns dias",
        "vou te mandar no {s} depois",
    ],
    amb=[("acabou a luz aqui", None), ("caiu a internet da vivo", None), ("que jogo!", None),
         ("lá fora tá chovendo", None), ("sextou!", None), ("meu celular caiu no chão", None)],
)
T["fr"] = dict(
    outage=[
        "{s} en panne ?", "{s} ne marche pas chez vous ?", "{s} est en panne depuis ce matin",
        "impossible de me connecter à {s}", "{s} bug complet", "#{t}panne", "{s} ne charge pas",
        "{s} a planté encore", "les messages {s} ne partent pas", "{s} hors service à Paris",
        "{s} marche plus du tout", "problème avec {s} ce soir", "{s} me déconnecte tout le temps",
        "{s} reste bloqué sur le chargement",
    ],
    recovery=["{s} remarche", "{s} est revenu", "c'est bon {s} fonctionne à nouveau"],
    negative=[
        "j'adore la nouvelle fonction de {s}", "suivez-moi sur {s}", "{s} marche très bien chez moi",
        "je télécharge {s} sur mon nouveau téléphone", "vous vous souvenez de la panne de {s} en 2021 ?",
        "{s} lance de nouveaux stickers", "ma mère est sur {s} maintenant", "j'ai posté une vidéo sur {s}",
    ],
    amb=[("la ligne 13 est en panne", None), ("mon frigo est en panne", None), ("il pleut encore à Paris", None),
         ("la box internet bug", None)],
)
T["de"] = dict(
    outage=[
        "{s} down?", "{s} Störung gerade?", "{s} geht nicht", "{s} funktioniert nicht mehr",
        "bei {s} geht gar nichts", "{s} lädt nicht", "hat noch jemand Probleme mit {s}?",
        "#{t}störung", "{s} ist ausgefallen", "{s} spinnt total heute", "Nachrichten bei {s} kommen nicht an",
        "{s} stürzt ständig ab", "{s} kaputt?", "{s} lädt nicht, WLAN ist okay",
    ],
    recovery=["{s} geht wieder", "{s} funktioniert wieder", "{s} ist wieder da"],
    negative=[
        "die neue Funktion bei {s} ist super", "folgt mir auf {s}", "{s} geht bei mir, keine Störung",
        "lade gerade {s} runter", "weißt du noch, der {s} Ausfall 2021?", "{s} bringt neue Sticker",
        "meine Oma ist jetzt auf {s}", "Video auf {s} hochgeladen",
    ],
    amb=[("die S-Bahn hat schon wieder Störung", None), ("es regnet schon wieder", None),
         ("Gedanken über die Arbeit", None), ("Beschwerden über den Zug heute", None), ("mein Laptop ist kaputt", None)],
)
T["tr"] = dict(
    outage=[
        "{s} çöktü mü?", "{s} çalışmıyor", "{s} açılmıyor", "{s} yine çöktü", "{s}'ta sorun var",
        "#{t}çöktü", "{s} mesajlar gitmiyor", "{s} bağlanıyor diye kalıyor", "{s} hata veriyor",
        "{s} erişim sorunu mu var?", "{s} donuyor sürekli", "{s} yüklenmiyor", "{s} giremiyorum",
    ],
    recovery=["{s} düzeldi", "{s} açıldı", "{s} geri geldi"],
    negative=[
        "{s} yeni özellik harika", "beni {s}'tan takip edin", "{s} bende çalışıyor sorun yok",
        "{s} indiriyorum", "2021'de {s} çökmüştü hatırlıyor musunuz", "{s} yeni çıkartmalar getirdi",
        "annem {s} kullanmaya başladı",
    ],
    amb=[("bugün hava çok sıcak", None), ("elektrik gitti yine", None), ("internet çok yavaş evde", None)],
)
T["id"] = dict(
    outage=[
        "{s} down ya?", "{s} error lagi", "{s} gangguan?", "{s} gak bisa dibuka", "{s} lemot banget",
        "kenapa {s} ga bisa kirim pesan", "#{t}down", "{s} ga bisa login dari tadi", "{s}nya error nih",
        "{s} lagi down ya guys?", "pesan {s} pending terus", "{s} tumbang lagi", "{s} bermasalah ga sih?",
        "gabisa buka {s} sama sekali",
    ],
    recovery=["{s} udah normal lagi", "{s} udah bisa", "{s} sudah pulih"],
    negative=[
        "fitur baru {s} keren", "follow {s} aku ya", "{s} aman kok ga down", "lagi download {s}",
        "inget ga {s} down tahun 2021?", "{s} rilis stiker baru", "ibu aku baru main {s}",
        "upload video di {s} dulu",
    ],
    amb=[("mati lampu lagi", None), ("hujan deres banget", None), ("jalanan macet banget", None),
         ("pln mati lagi", None)],
)
T["hi-Latn"] = dict(
    outage=[
        "{s} down hai kya?", "{s} nahi chal raha", "{s} band ho gaya kya", "{s} mein dikkat aa rahi hai",
        "{s} kaam nahi kar raha", "{s} pe message nahi ja rahe", "#{t}down", "{s} bar bar hang ho raha hai",
        "{s} khul nahi raha yaar", "bhai {s} ko kya ho gaya", "{s} login nahi ho raha", "{s} slow chal raha hai",
    ],
    recovery=["{s} wapas aa gaya", "{s} theek ho gaya", "{s} chalu ho gaya"],
    negative=[
        "{s} ka naya feature mast hai", "mujhe {s} pe follow karo", "{s} theek chal raha hai mera",
        "{s} download kar raha hu", "yaad hai {s} 2021 mein down hua tha?", "{s} pe naye stickers aaye",
        "mummy ab {s} chalati hai",
    ],
    amb=[("aaj match hai", None), ("chai time", None), ("airtel ka network nahi aa raha", None),
         ("kal chutti hai", None)],
)
T["hi"] = dict(
    outage=[
        "{s} डाउन है क्या?", "{s} नहीं चल रहा", "{s} बंद हो गया", "{s} में दिक्कत आ रही है",
        "{s} पर मैसेज नहीं जा रहे", "{s} काम नहीं कर रहा", "{s} खुल नहीं रहा", "#{t}डाउन",
        "{s} ठप हो गया", "{s} बार बार हैंग हो रहा है", "{s} पर लॉगिन नहीं हो रहा",
    ],
    recovery=["{s} ठीक हो गया", "{s} वापस आ गया", "{s} चालू हो गया"],
    negative=[
        "{s} का नया फीचर अच्छा है", "मुझे {s} पर फॉलो करें", "{s} बिल्कुल ठीक चल रहा है",
        "{s} डाउनलोड कर रहा हूं", "{s} पर नए स्टिकर आए", "मम्मी अब {s} चलाती हैं",
    ],
    amb=[("आज बहुत गर्मी है", None), ("बिजली बंद है", None), ("ऑफिस में बहुत काम है", None)],
)
T["ar"] = dict(
    outage=[
        "{s} واقع؟", "{s} لا يعمل", "{s} معطل عندكم؟", "{s} ما يشتغل من الصبح", "{s} فيه مشكلة؟",
        "الرسائل في {s} ما تنرسل", "#{t}_معطل", "{s} طايح", "{s} مو شغال عندي", "عطل في {s}",
        "{s} مش شغال خالص", "توقف {s} عن العمل", "{s} ما يفتح معي", "{s} يعلق كثير اليوم",
        "ليش {s} ما يحمل؟", "{s} يطلعني من الحساب",
    ],
    recovery=["رجع {s}", "{s} رجع يشتغل", "عادت خدمة {s}", "{s} اشتغل الحين"],
    negative=[
        "ميزة جديدة في {s} حلوة", "تابعوني على {s}", "{s} شغال عندي تمام ما فيه مشكلة",
        "نزلت {s} على الجوال الجديد", "تذكرون لما طاح {s} في ٢٠٢١؟", "{s} يطلق ملصقات جديدة",
        "امي صار عندها {s}", "نشرت مقطع في {s}",
    ],
    amb=[("النت عندي واقع", None), ("المكيف خربان", None), ("الراوتر عندي خربان", None),
         ("صباح الخير", None), ("الطريق مقفل عند الدوار", None)],
)
T["ru"] = dict(
    outage=[
        "{s} не работает?", "{s} упал", "{s} лежит", "сбой в {s}", "{s} не грузится", "{s} глючит с утра",
        "сообщения в {s} не отправляются", "у кого ещё {s} не работает?", "{s} не открывается",
        "{s} тормозит ужасно", "{s} выкидывает из аккаунта", "#{t}упал",
    ],
    recovery=["{s} заработал", "{s} снова работает", "{s} починили"],
    negative=[
        "новая функция в {s} классная", "подписывайтесь на мой {s}", "{s} у меня работает нормально",
        "скачиваю {s} на новый телефон", "в {s} появились новые стикеры", "мама теперь сидит в {s}",
    ],
    amb=[("сегодня очень жарко", None), ("свет отключили", None), ("интернет дома не работает", None)],
)
T["fa"] = dict(
    outage=[
        "{s} قطع شده؟", "{s} کار نمیکنه", "{s} باز نمیشه", "{s} مشکل داره", "{s} وصل نمیشه",
        "پیام های {s} نمیره", "{s} خرابه", "{s} خیلی کند شده", "#{t}_قطع",
    ],
    recovery=["{s} وصل شد", "{s} درست شد", "{s} برگشت"],
    negative=[
        "قابلیت جدید {s} عالیه", "منو تو {s} فالو کنید", "{s} برای من مشکلی نداره",
        "دارم {s} دانلود میکنم", "مامانم {s} نصب کرد",
    ],
    amb=[("هوا خیلی گرمه", None), ("برق رفت", None), ("اینترنت خونه قطعه", None)],
)
T["ja"] = dict(
    outage=[
        "{s}落ちてる？", "{s}繋がらない", "{s}また落ちた", "{s}障害？", "{s}開かない",
        "{s}でメッセージ送れない", "{s}ログインできない", "{s}重すぎ", "{s}不具合出てる",
        "{s}使えないんだけど", "{s}エラー出る", "#{t}障害",
    ],
    recovery=["{s}復旧した", "{s}直った", "{s}戻った"],
    negative=[
        "{s}の新機能いいね", "{s}フォローしてね", "{s}普通に使えてる", "{s}ダウンロードした",
        "{s}に新しいスタンプ", "母が{s}始めた", "{s}で動画見てる",
    ],
    amb=[("電車遅延", None), ("眠い", None), ("docomo繋がらない", None), ("桜きれい", None)],
)

TAG = {  # hashtag-friendly names
    "whatsapp": "whatsapp", "instagram": "instagram", "facebook": "facebook", "youtube": "youtube",
    "x": "twitter", "telegram": "telegram", "tiktok": "tiktok", "gmail": "gmail", "discord": "discord",
    "netflix": "netflix", "spotify": "spotify", "snapchat": "snapchat", "reddit": "reddit",
    "chatgpt": "chatgpt", "roblox": "roblox", "fortnite": "fortnite", "paypal": "paypal", "github": "github",
    "outlook": "outlook", "icloud": "icloud", "twitch": "twitch", "linkedin": "linkedin",
    "cloudflare": "cloudflare", "aws": "aws", "playstation": "psn", "xbox": "xbox", "wechat": "wechat",
    "skype": "skype", "pinterest": "pinterest", "line": "LINE", "google": "google", "steam": "steam",
}
TAG_LOCAL = {"ar": {"whatsapp": "واتساب", "instagram": "انستقرام", "x": "تويتر", "snapchat": "سناب"},
             "fa": {"whatsapp": "واتساپ", "instagram": "اینستاگرام", "telegram": "تلگرام"},
             "hi": {"whatsapp": "व्हाट्सएप"},
             "ru": {"telegram": "телеграм"}}
HANDLE = {"whatsapp": "WhatsApp", "instagram": "instagram", "x": "Support", "youtube": "TeamYouTube",
          "facebook": "Meta", "netflix": "netflix", "discord": "discord", "spotify": "SpotifyCares",
          "tiktok": "tiktok_us", "gmail": "gmail", "snapchat": "snapchatsupport"}

# Weights: the big services dominate real traffic.
BIG = ["whatsapp", "instagram", "facebook", "youtube", "x", "telegram", "tiktok"]


def pick_service(lang, allow_x=True):
    svcs = SVC[lang]
    names = list(svcs)
    if rng.random() < 0.6:
        names = [n for n in BIG if n in svcs] or names
    s = rng.choice(names)
    return s, rng.choice(svcs[s])


out = []
for lang, t in T.items():
    n_out, n_rec, n_neg = 0, 0, 0
    seen = set()
    def add(text, svc, kind):
        if text in seen:
            return False
        seen.add(text)
        out.append({"text": text, "lang": lang, "service": svc, "kind": kind})
        return True
    # outage: every template, several services
    for tpl in t["outage"]:
        for _ in range(6 if lang in ("en", "ar") else 5):
            s, name = pick_service(lang)
            if "{h}" in tpl and s not in HANDLE:
                continue
            tag = TAG_LOCAL.get(lang, {}).get(s) or TAG.get(s, name.replace(" ", ""))
            if "{t}" in tpl and rng.random() < 0.3:
                tag = tag[:1].upper() + tag[1:]
            if s == "x" and name == "X" and "{t}" not in tpl and rng.random() < 0.5:
                name = "Twitter"
            add(tpl.format(s=name, t=tag, h=HANDLE.get(s, "")), s, "outage")
    for tpl in t["recovery"]:
        for _ in range(4):
            s, name = pick_service(lang)
            if s == "x" and name == "X":
                name = "Twitter"
            add(tpl.format(s=name), s, "recovery")
    for tpl in t["negative"]:
        for _ in range(7):
            s, name = pick_service(lang)
            add(tpl.format(s=name), s, "negative")
    for text, svc in t["amb"]:
        add(text, svc, "negative")

# Mixed posts and news about another service (hard negatives for the named one).
extra = [
    ("en", "Reuters: Meta shares rise after Instagram launches new feature", "instagram", "negative"),
    ("en", "watching a youtube video about the whatsapp outage of 2021", "whatsapp", "negative"),
    ("en", "twitter is full of people saying netflix is down", "netflix", "outage"),
    ("en", "whatsapp, instagram and facebook are all down at once", "whatsapp", "outage"),
    ("en", "whatsapp, instagram and facebook are all down at once", "instagram", "outage"),
    ("en", "whatsapp, instagram and facebook are all down at once", "facebook", "outage"),
    ("en", "X is down, timeline won't refresh", "x", "outage"),
    ("en", "my timeline on X is not loading", "x", "outage"),
    ("en", "x marks the spot", None, "negative"),
    ("en", "LINE app is down in Japan and Thailand", "line", "outage"),
    ("en", "Signal app not working, messages stuck", "signal", "outage"),
    ("en", "Microsoft Teams is down, my meeting won't connect", "teams", "outage"),
    ("en", "Threads app is down lol everyone's back on X", "threads", "outage"),
    ("en", "my Snapchat streaks are gone, snap is down?", "snapchat", "outage"),
    ("en", "Steam servers down, can't log into my library", "steam", "outage"),
    ("en", "Zoom meeting won't connect, is zoom down?", "zoom", "outage"),
    ("en", "slack is down, channels won't load at work", "slack", "outage"),
    ("en", "Amazon website is down, can't checkout my cart", "amazon", "outage"),
    ("en", "uber app not working, can't book a ride", "uber", "outage"),
    ("en", "the uber driver took a wrong turn down main street", None, "negative"),
    ("en", "Cash App down? can't send money", "cash-app", "outage"),
    ("en", "venmo not loading, can't pay my roommate", "venmo", "outage"),
    ("en", "Disney+ not working, keeps buffering", "disney-plus", "outage"),
    ("en", "prime video keeps buffering, is it down?", "prime-video", "outage"),
    ("en", "Azure outage in West Europe again", "azure", "outage"),
    ("en", "github actions are failing, github down?", "github", "outage"),
    ("en", "cloudflare outage took half the internet down", "cloudflare", "outage"),
    ("en", "Xbox Live is down, can't join parties", "xbox", "outage"),
    ("en", "PSN down again on a Friday night", "playstation", "outage"),
    ("en", "Roblox is down, my kid is devastated", "roblox", "outage"),
    ("en", "ChatGPT is down, guess I'll think for myself", "chatgpt", "outage"),
    ("en", "Yahoo Mail not loading", "yahoo", "outage"),
    ("en", "outlook won't send emails this morning", "outlook", "outage"),
    ("en", "iCloud down? photos not syncing", "icloud", "outage"),
    ("en", "google drive not loading my files", "google-drive", "outage"),
    ("en", "Stripe API errors on checkout, payments failing", "stripe", "outage"),
    ("en", "AWS us-east-1 is down again, half my apps broken", "aws", "outage"),
    ("en", "skype calls not connecting", "skype", "outage"),
    ("en", "messenger not sending messages on facebook", "messenger", "outage"),
    ("en", "wechat down? can't send messages to my family", "wechat", "outage"),
    ("en", "pinterest not loading pins", "pinterest", "outage"),
    ("en", "linkedin down, feed won't load", "linkedin", "outage"),
    ("en", "twitch is down mid stream", "twitch", "outage"),
    ("en", "spotify keeps crashing on my phone", "spotify", "outage"),
    ("en", "paypal not working, payment failed", "paypal", "outage"),
    ("en", "fortnite servers down?", "fortnite", "outage"),
    ("en", "reddit is down again", "reddit", "outage"),
    ("en", "discord is down, can't join voice", "discord", "outage"),
    ("en", "imessage not delivering texts", "imessage", "outage"),
    ("en", "i'm down to play fortnite tonight", "fortnite", "negative"),
    ("en", "signal is terrible in this building", None, "negative"),
    ("en", "both teams are down in the standings", None, "negative"),
    ("en", "the line at the store is down the block", None, "negative"),
    ("en", "took a snap of the sunset", None, "negative"),
    ("en", "steam rising from my coffee", None, "negative"),
    ("en", "zoom in on the photo", None, "negative"),
    ("en", "new threads of the story tonight", None, "negative"),
    ("de", "Beschwerden über die Bahn heute", None, "negative"),
    ("de", "Gedanken über die Arbeit und das Leben", None, "negative"),
    ("ja", "LINEのトーク送れない", "line", "outage"),
    ("ja", "ライン落ちてる？", "line", "outage"),
    ("ja", "ラインに並ぶの疲れた", None, "negative"),
    ("ar", "واتساب وانستقرام واقفين", "whatsapp", "outage"),
    ("ar", "واتساب وانستقرام واقفين", "instagram", "outage"),
    ("pt", "zap caiu geral", "whatsapp", "outage"),
    ("pt", "o zap tá fora do ar", "whatsapp", "outage"),
    ("es", "se cayó spotify?", "spotify", "outage"),
    ("id", "gojek down?", None, "negative"),
]
for lang, text, svc, kind in extra:
    out.append({"text": text, "lang": lang, "service": svc, "kind": kind})

for o in out:
    print(json.dumps(o, ensure_ascii=False))
