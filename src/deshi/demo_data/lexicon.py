"""Word lists: names, places, companies. Data only, no logic.

Sizes are deliberate: a PII detector evaluated on a handful of names learns the list, not
the pattern. Surnames include one-character ones (林, 森, 東) that are hard for detectors;
given names include hiragana and katakana spellings; foreign names are written in
katakana with a middle dot, as on Japanese payroll documents.
"""

from __future__ import annotations


def _pairs(spec: str) -> tuple[tuple[str, str], ...]:
    """Parse "漢字:romaji 漢字:romaji ..." into pairs (keeps the lists readable)."""
    return tuple(tuple(item.split(":")) for item in spec.split())  # type: ignore[misc]


SURNAMES = _pairs(
    """佐藤:Sato 鈴木:Suzuki 高橋:Takahashi 田中:Tanaka 伊藤:Ito 渡辺:Watanabe 山本:Yamamoto
    中村:Nakamura 小林:Kobayashi 加藤:Kato 吉田:Yoshida 山田:Yamada 佐々木:Sasaki 山口:Yamaguchi
    松本:Matsumoto 井上:Inoue 木村:Kimura 林:Hayashi 斎藤:Saito 清水:Shimizu 山崎:Yamazaki 森:Mori
    池田:Ikeda 橋本:Hashimoto 阿部:Abe 石川:Ishikawa 山下:Yamashita 中島:Nakajima 石井:Ishii
    小川:Ogawa 前田:Maeda 岡田:Okada 長谷川:Hasegawa 藤田:Fujita 後藤:Goto 近藤:Kondo 村上:Murakami
    遠藤:Endo 青木:Aoki 坂本:Sakamoto 斉藤:Saito 福田:Fukuda 太田:Ota 西村:Nishimura 藤井:Fujii
    金子:Kaneko 岡本:Okamoto 藤原:Fujiwara 中野:Nakano 三浦:Miura 原田:Harada 中川:Nakagawa
    松田:Matsuda 竹内:Takeuchi 小野:Ono 田村:Tamura 中山:Nakayama 和田:Wada 石田:Ishida 森田:Morita
    上田:Ueda 原:Hara 内田:Uchida 柴田:Shibata 酒井:Sakai 宮崎:Miyazaki 横山:Yokoyama 高木:Takagi
    安藤:Ando 宮本:Miyamoto 大野:Ono 小島:Kojima 谷口:Taniguchi 今井:Imai 工藤:Kudo 高田:Takada
    増田:Masuda 丸山:Maruyama 杉山:Sugiyama 村田:Murata 大塚:Otsuka 新井:Arai 小山:Koyama 平野:Hirano
    藤本:Fujimoto 河野:Kono 上野:Ueno 野口:Noguchi 武田:Takeda 松井:Matsui 千葉:Chiba 岩崎:Iwasaki
    菅原:Sugawara 木下:Kinoshita 久保:Kubo 佐野:Sano 野村:Nomura 松尾:Matsuo 市川:Ichikawa
    菊地:Kikuchi 杉本:Sugimoto 古川:Furukawa 大西:Onishi 島田:Shimada 水野:Mizuno 桜井:Sakurai
    高野:Takano 渡部:Watanabe 吉川:Yoshikawa 山内:Yamauchi 西田:Nishida 飯田:Iida 菅野:Kanno
    永井:Nagai 服部:Hattori 秋山:Akiyama 東:Higashi 比嘉:Higa 金城:Kinjo 五十嵐:Igarashi 日野:Hino
    大久保:Okubo 小松:Komatsu 熊谷:Kumagai 北村:Kitamura 宮田:Miyata 関:Seki 星野:Hoshino"""
)

GIVEN_NAMES = _pairs(
    """太郎:Taro 一郎:Ichiro 健太:Kenta 翔太:Shota 大輔:Daisuke 拓也:Takuya 直樹:Naoki 浩:Hiroshi
    誠:Makoto 学:Manabu 剛:Tsuyoshi 隆:Takashi 修:Osamu 健一:Kenichi 和也:Kazuya 達也:Tatsuya 亮:Ryo
    翼:Tsubasa 蓮:Ren 悠真:Yuma 陽翔:Haruto 湊:Minato 大翔:Hiroto 悠人:Yuto 颯太:Sota 海斗:Kaito
    陸:Riku 蒼:Ao 樹:Itsuki 雄一:Yuichi 正人:Masato 秀樹:Hideki 博:Hiroshi 清:Kiyoshi 勇:Isamu
    茂:Shigeru 進:Susumu 明:Akira 聡:Satoshi 慎一:Shinichi 哲也:Tetsuya 光:Hikaru 純一:Junichi
    康介:Kosuke 圭:Kei 航:Wataru 智也:Tomoya 俊介:Shunsuke 良太:Ryota 花子:Hanako 陽子:Yoko
    恵子:Keiko 裕子:Yuko 直美:Naomi 由美:Yumi 真由美:Mayumi 久美子:Kumiko 美香:Mika 愛:Ai 彩:Aya
    舞:Mai 結衣:Yui 陽菜:Hina 凛:Rin 葵:Aoi 結菜:Yuna 美咲:Misaki 七海:Nanami 優花:Yuka 千尋:Chihiro
    明美:Akemi 京子:Kyoko 幸子:Sachiko 和子:Kazuko 洋子:Yoko 智子:Tomoko 由紀:Yuki 麻衣:Mai
    沙織:Saori 絵美:Emi 奈々:Nana 真理:Mari 里美:Satomi 香織:Kaori 理恵:Rie 友美:Tomomi 綾香:Ayaka
    晴美:Harumi 芽衣:Mei 莉子:Riko 杏:An 紬:Tsumugi 澪:Mio 楓:Kaede 美穂:Miho 早紀:Saki 瞳:Hitomi
    静香:Shizuka 正樹:Masaki 義男:Yoshio 敏夫:Toshio 春香:Haruka 大地:Daichi
    さくら:Sakura あかり:Akari ひなた:Hinata みゆき:Miyuki かおり:Kaori ゆうこ:Yuko
    エミ:Emi ナオミ:Naomi ケン:Ken ジョージ:George マリア:Maria リナ:Rina"""
)

# Foreign residents' names as written in katakana on Japanese documents (label whole).
FOREIGN_KATAKANA_NAMES = (
    "グエン・ヴァン・ナム", "チャン・ティ・ラン", "マリア・サントス", "ジョン・スミス",
    "ラジェシュ・クマール", "キム・ミンジュ", "リー・ウェイ", "アナ・シルバ", "ファム・ミン・ドゥック",
    "ホセ・ガルシア", "サラ・ミラー", "アフマド・ハサン",
)

PREFECTURES: dict[str, tuple[str, ...]] = {
    "北海道": ("札幌市中央区", "札幌市北区", "旭川市", "函館市", "釧路市", "帯広市", "虻田郡倶知安町", "上川郡東川町"),
    "青森県": ("青森市", "八戸市", "弘前市", "北津軽郡板柳町"),
    "岩手県": ("盛岡市", "一関市", "奥州市", "紫波郡紫波町"),
    "宮城県": ("仙台市青葉区", "仙台市宮城野区", "石巻市", "大崎市", "黒川郡大和町"),
    "秋田県": ("秋田市", "横手市", "大館市", "南秋田郡大潟村"),
    "山形県": ("山形市", "米沢市", "鶴岡市", "東村山郡山辺町"),
    "福島県": ("福島市", "郡山市", "いわき市", "会津若松市", "双葉郡浪江町"),
    "茨城県": ("水戸市", "つくば市", "日立市", "ひたちなか市", "那珂郡東海村"),
    "栃木県": ("宇都宮市", "小山市", "足利市", "芳賀郡益子町"),
    "群馬県": ("前橋市", "高崎市", "太田市", "吾妻郡草津町"),
    "埼玉県": ("さいたま市大宮区", "さいたま市浦和区", "川口市", "川越市", "所沢市", "入間郡三芳町"),
    "千葉県": ("千葉市中央区", "千葉市美浜区", "船橋市", "柏市", "市川市", "印旛郡酒々井町"),
    "東京都": ("千代田区", "中央区", "港区", "新宿区", "品川区", "大田区", "江東区", "八王子市", "町田市", "府中市",
            "西多摩郡奥多摩町", "大島町"),
    "神奈川県": ("横浜市西区", "横浜市港北区", "横浜市中区", "川崎市川崎区", "川崎市中原区", "相模原市中央区",
             "藤沢市", "厚木市", "足柄下郡箱根町"),
    "新潟県": ("新潟市中央区", "長岡市", "上越市", "燕市", "岩船郡関川村"),
    "富山県": ("富山市", "高岡市", "射水市", "中新川郡立山町"),
    "石川県": ("金沢市", "小松市", "白山市", "河北郡内灘町"),
    "福井県": ("福井市", "敦賀市", "鯖江市", "三方郡美浜町"),
    "山梨県": ("甲府市", "富士吉田市", "南都留郡富士河口湖町"),
    "長野県": ("長野市", "松本市", "上田市", "諏訪市", "北佐久郡軽井沢町"),
    "岐阜県": ("岐阜市", "大垣市", "各務原市", "不破郡関ケ原町"),
    "静岡県": ("静岡市葵区", "浜松市中央区", "沼津市", "富士市", "磐田市", "賀茂郡東伊豆町"),
    "愛知県": ("名古屋市中区", "名古屋市中村区", "名古屋市港区", "豊田市", "岡崎市", "豊橋市", "刈谷市",
            "西春日井郡豊山町"),
    "三重県": ("津市", "四日市市", "鈴鹿市", "伊勢市", "度会郡玉城町"),
    "滋賀県": ("大津市", "草津市", "彦根市", "蒲生郡日野町"),
    "京都府": ("京都市中京区", "京都市下京区", "京都市伏見区", "宇治市", "福知山市", "相楽郡精華町"),
    "大阪府": ("大阪市北区", "大阪市中央区", "大阪市淀川区", "堺市堺区", "東大阪市", "豊中市", "吹田市",
            "泉南郡熊取町", "南河内郡千早赤阪村"),
    "兵庫県": ("神戸市中央区", "神戸市西区", "姫路市", "尼崎市", "西宮市", "加古郡播磨町"),
    "奈良県": ("奈良市", "橿原市", "生駒市", "吉野郡十津川村"),
    "和歌山県": ("和歌山市", "田辺市", "海南市", "西牟婁郡白浜町"),
    "鳥取県": ("鳥取市", "米子市", "倉吉市", "西伯郡伯耆町"),
    "島根県": ("松江市", "出雲市", "浜田市", "隠岐郡海士町"),
    "岡山県": ("岡山市北区", "倉敷市", "津山市", "勝田郡奈義町"),
    "広島県": ("広島市中区", "広島市南区", "福山市", "呉市", "東広島市", "安芸郡府中町"),
    "山口県": ("山口市", "下関市", "宇部市", "周南市", "玖珂郡和木町"),
    "徳島県": ("徳島市", "阿南市", "鳴門市", "名西郡神山町"),
    "香川県": ("高松市", "丸亀市", "坂出市", "仲多度郡琴平町"),
    "愛媛県": ("松山市", "今治市", "新居浜市", "西条市", "伊予郡砥部町"),
    "高知県": ("高知市", "南国市", "四万十市", "高岡郡四万十町", "安芸郡馬路村"),
    "福岡県": ("福岡市博多区", "福岡市中央区", "北九州市小倉北区", "久留米市", "糟屋郡粕屋町"),
    "佐賀県": ("佐賀市", "唐津市", "鳥栖市", "西松浦郡有田町"),
    "長崎県": ("長崎市", "佐世保市", "諫早市", "東彼杵郡波佐見町"),
    "熊本県": ("熊本市中央区", "八代市", "天草市", "菊池郡菊陽町", "球磨郡五木村"),
    "大分県": ("大分市", "別府市", "中津市", "速見郡日出町"),
    "宮崎県": ("宮崎市", "都城市", "延岡市", "児湯郡高鍋町"),
    "鹿児島県": ("鹿児島市", "霧島市", "鹿屋市", "大島郡徳之島町"),
    "沖縄県": ("那覇市", "沖縄市", "浦添市", "うるま市", "中頭郡読谷村", "国頭郡恩納村"),
}

# (prefecture, municipality, town) triples that really exist; mixed in so that the
# well-known business districts appear, not only generic town names.
FAMOUS_TOWNS = (
    ("東京都", "港区", "芝浦"), ("東京都", "千代田区", "丸の内"), ("東京都", "新宿区", "西新宿"),
    ("東京都", "品川区", "大崎"), ("東京都", "中央区", "日本橋"), ("大阪府", "大阪市北区", "梅田"),
    ("大阪府", "大阪市中央区", "本町"), ("神奈川県", "横浜市西区", "みなとみらい"),
    ("神奈川県", "川崎市川崎区", "駅前本町"), ("愛知県", "名古屋市中村区", "名駅"),
    ("愛知県", "名古屋市中区", "栄"), ("福岡県", "福岡市博多区", "博多駅前"),
    ("福岡県", "福岡市中央区", "天神"), ("宮城県", "仙台市青葉区", "中央"),
    ("広島県", "広島市中区", "紙屋町"), ("京都府", "京都市下京区", "四条通"),
)

TOWNS = (
    "本町", "中央", "栄町", "緑町", "旭町", "幸町", "東町", "西町", "南町", "北町", "新町", "大手町", "元町",
    "錦町", "桜町", "若葉", "富士見", "松原", "日吉町", "港町", "泉町", "清水町", "駅前", "城東", "城西",
    "山手町", "平和町", "昭和町", "大和町", "寿町", "住吉町", "宮前", "八幡町", "花園", "青葉台", "中町",
    "上町", "桜ケ丘", "緑が丘", "東雲", "浜町", "川端町", "柳町", "扇町", "白金", "春日", "朝日町", "宝町",
    "千代田", "高砂", "曙町", "末広町", "弥生町", "明神町", "稲荷町", "新田", "工業団地", "流通センター",
)

RURAL_AREAS = ("大字長倉", "大字上野", "大字中原", "字大原", "字川口", "大字吉田", "字東浜", "大字本郷")

BUILDINGS = (
    "グランパークタワー", "第一ビル", "中央ビル", "サンシャインハイツ", "パークマンション", "テクノセンター",
    "フロンティアビル", "メゾン桜", "コーポ緑", "ビジネススクエア", "第2ビル", "ハイツ若葉", "駅前ビル",
    "リバーサイドプレイス", "産業会館", "ロイヤルコート", "スカイタワー", "ステーションビル",
)

# Fictional company names, used for customers, suppliers and email domains.
COMPANIES = (
    ("株式会社みなと精機", "minato-seiki"), ("北斗電機株式会社", "hokuto-denki"),
    ("有限会社さくら工業", "sakura-kogyo"), ("東邦メカトロ株式会社", "toho-mecha"),
    ("株式会社ひかり食品", "hikari-foods"), ("大和化成株式会社", "yamato-kasei"),
    ("株式会社アサヒ物流", "asahi-logi"), ("中部プラスチック株式会社", "chubu-plastic"),
    ("株式会社瀬戸内マテリアル", "setouchi-mat"), ("株式会社北陸テクノ", "hokuriku-techno"),
    ("九州オートパーツ株式会社", "kyushu-autoparts"), ("株式会社ミライ製薬", "mirai-pharma"),
    ("合同会社ネクストファクトリー", "next-factory"), ("株式会社富士ケミカル", "fuji-chemical"),
    ("関東スチール株式会社", "kanto-steel"), ("株式会社青葉エンジニアリング", "aoba-eng"),
    ("株式会社しまなみ造船", "shimanami-zosen"), ("株式会社信州精密", "shinshu-seimitsu"),
    ("東北パッケージ株式会社", "tohoku-pkg"), ("株式会社オーシャン水産", "ocean-suisan"),
)

# Fictional free-mail / ISP domains (no real provider is named).
MAIL_DOMAINS = (
    "example.co.jp", "mail.example.jp", "kaisha-mail.jp", "tokyo-net.ne.jp", "hikari-isp.ne.jp",
    "mobile-mail.ne.jp", "freemail.example.com", "webmail.example.com", "inbox-mail.com", "jmail.jp",
)

DEPARTMENTS = (
    "製造部", "生産技術部", "設備保全課", "品質保証部", "品質管理課", "総務部", "人事部", "法務部", "経理部",
    "カスタマーサポート部", "営業部", "技術サービス課", "情報システム部", "購買部", "物流センター",
)
