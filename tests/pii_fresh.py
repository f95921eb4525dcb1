"""A third hand-written PII set, written BLIND: before its author read any recogniser rule.

Written in session 7 by someone who had read only the two earlier sets' test files (to reuse their
format), not src/deshi/data/pii/, so that it measures how the recognisers do on text and PII styles
they were not tuned on. Styles neither earlier set covers well: 社内メール bodies with signature
blocks in varied layouts (English-first, pipe/letter-prefixed "M:/E:/A:", OCR-mashed), 顧客対応ログ
(call-centre and chat transcripts with speaker names, spoken phone numbers "０９０の…"), 障害報告書
(Japanese and English incident reports with hosts and timelines), 見積書/請求書/支払調書 text dumps
(pdftotext column spacing), 名刺 OCR text (broken spacing inside names "藤 原　 真 一", dotted phone
numbers, ｶﾀｶﾅ), addresses in many shapes (丁目/番/号, ー－‐− hyphens, building + 号室, 〒 with and
without a space, a bare 7-digit postal code, Kyoto 通り names 上る/東入, Hokkaido 条/丁目, 字/大字,
番地の2), phone variants (+81 (3), 0120/0570/050, 03(5510)8889, digits without separators), e-mail
obfuscations people really write (``support[at]…``, ``tanaka.m [at] example [dot] ne [dot] jp``),
names with 様/さま/さん/氏/殿/くん/先生/役職, names after 作成/確認/承認/担当 without an honorific,
romanised names (``SUZUKI Hanako``, ``"Oda, Yuji"``, ``R. Hayashi``), and hard negatives (company and
product names that contain surnames, places that are not addresses, 型番/ロット/シリアル, dates,
amounts, versions, 部署名, masked numbers, invalid check digits, a firmware version shaped like an IPv4).

Format: each case is ``(text, [(kind, value), ...])`` exactly as in tests/pii_independent.py
(``kind`` a PII type, or ``NOT_<WHAT>`` for a hard negative; nothing unlisted may be flagged). One
addition: an item may be ``(kind, value, n)`` to point at the n-th occurrence (1-based) of ``value`` in
the text, for a name that first occurs inside a longer labelled name (``Daisuke Mori`` … ``Mori``).

Labelling decisions (made while writing, before any measurement):
- a span is the value only: no honorific (様/さま/殿…), no role (部長, 課長), no label (TEL, 〒);
  a parenthesised area code belongs to the phone number (``(03) 3270-1111``);
- an obfuscated e-mail address is an e-mail address (the obfuscation hides it from scrapers, not
  from a reader);
- a phone number read out digit group by digit group (``０９０の４２１７の８８３５``) is a phone number;
- an institution's or shop's full street address is an ADDRESS like a person's (as in the other sets);
- a romanised address in an English signature is an ADDRESS too.

``write_eval_files(dir)`` writes corpus.jsonl, labels.jsonl and decoys.jsonl for ``deshi curate
pii-eval`` (the writer is tests/pii_independent.py's, given this set's documents).
"""

from __future__ import annotations

from pathlib import Path

from pii_independent import PII_TYPES
from pii_independent import write_eval_files as _write_eval_files

Item = tuple[str, str] | tuple[str, str, int]

CASES: list[tuple[str, list[Item]]] = [
    # --- 社内メール本文 + signature blocks ------------------------------------------------------
    (
        "各位\n\nお疲れ様です。経営企画部の三宅です。\n来週の全社会議の資料を共有フォルダに格納しました。\n"
        "ご確認よろしくお願いします。\n\n==========================\n経営企画部 企画グループ\n"
        "三宅 隆之 (Takayuki Miyake)\n内線：3345 / 直通：03-5412-7788\nt-miyake@fujisaki-hd.co.jp\n"
        "==========================",
        [("PERSON", "三宅"), ("PERSON", "三宅 隆之"), ("PERSON", "Takayuki Miyake"), ("NOT_EXTENSION", "3345"),
         ("PHONE", "03-5412-7788"), ("EMAIL", "t-miyake@fujisaki-hd.co.jp"), ("NOT_DEPT", "経営企画部")],
    ),
    (
        "山口様\n\nいつもお世話になっております。\n先日の件、承知いたしました。\n\n-----\n"
        "株式会社 ソラテック｜カスタマーサクセス\n氏名：Aya Kobayashi（小林 彩）\nM: +81-90-3141-5926\n"
        "E: aya.kobayashi@soratec.jp\nA: 〒150-0043 東京都渋谷区道玄坂1-12-1 渋谷マークシティW22F\n-----",
        [("PERSON", "山口"), ("NOT_COMPANY", "ソラテック"), ("PERSON", "Aya Kobayashi"), ("PERSON", "小林 彩"),
         ("PHONE", "+81-90-3141-5926"), ("EMAIL", "aya.kobayashi@soratec.jp"), ("POSTAL_CODE", "150-0043"),
         ("ADDRESS", "東京都渋谷区道玄坂1-12-1 渋谷マークシティW22F")],
    ),
    (
        "Thanks,\n\nHiroshi NAKAMURA | 中村 博\nSales Manager, Tokyo Office\n"
        "Direct +81 (3) 6228 1190  Fax +81 (3) 6228 1191\nhiroshi.nakamura@nexus-trading.com\n"
        "Otemachi Bldg. 5F, 1-6-1 Otemachi, Chiyoda-ku, Tokyo 100-0004",
        [("PERSON", "Hiroshi NAKAMURA"), ("PERSON", "中村 博"), ("PHONE", "+81 (3) 6228 1190"),
         ("PHONE", "+81 (3) 6228 1191"), ("EMAIL", "hiroshi.nakamura@nexus-trading.com"),
         ("ADDRESS", "Otemachi Bldg. 5F, 1-6-1 Otemachi, Chiyoda-ku, Tokyo"), ("POSTAL_CODE", "100-0004")],
    ),
    (
        "＿＿＿＿＿＿＿＿＿＿＿＿＿＿\n（株）やまびこ物流　配車センター\nセンター長　大西　浩一\n"
        "ＴＥＬ（０４８）６５３－２２１０　ＦＡＸ（０４８）６５３－２２１１\n"
        "〒３３１－０８１２　埼玉県さいたま市北区宮原町３丁目３１５番地\n＿＿＿＿＿＿＿＿＿＿＿＿＿＿",
        [("PERSON", "大西　浩一"), ("PHONE", "（０４８）６５３－２２１０"), ("PHONE", "（０４８）６５３－２２１１"),
         ("POSTAL_CODE", "３３１－０８１２"), ("ADDRESS", "埼玉県さいたま市北区宮原町３丁目３１５番地")],
    ),
    (
        "> 2025年3月10日(月) 15:32 Kenta Ishikawa <k.ishikawa@hoshino-kensetsu.co.jp>:\n"
        "> 石川です。図面の改訂版を送ります。\n\n石川様\nご送付ありがとうございます。拝見して明日中にご連絡いたします。\n森本",
        [("NOT_DATETIME", "2025年3月10日(月) 15:32"), ("PERSON", "Kenta Ishikawa"),
         ("EMAIL", "k.ishikawa@hoshino-kensetsu.co.jp"), ("PERSON", "石川"), ("PERSON", "石川"), ("PERSON", "森本")],
    ),
    (
        "※スパム対策のため、アドレスの[at]を@に置き換えてください。\n問い合わせ窓口：support[at]kizuna-soft.co.jp\n"
        "技術担当 堀江：horie (at) kizuna-soft.co.jp",
        [("EMAIL", "support[at]kizuna-soft.co.jp"), ("PERSON", "堀江"), ("EMAIL", "horie (at) kizuna-soft.co.jp")],
    ),
    (
        "送信者: 望月 玲奈 <reina.mochizuki@kouyou-pharma.co.jp>\n"
        "CC: \"Oda, Yuji\" <yuji.oda@kouyou-pharma.co.jp>; team-qa@kouyou-pharma.co.jp\n件名: 治験資料の件",
        [("PERSON", "望月 玲奈"), ("EMAIL", "reina.mochizuki@kouyou-pharma.co.jp"), ("PERSON", "Oda, Yuji"),
         ("EMAIL", "yuji.oda@kouyou-pharma.co.jp"), ("EMAIL", "team-qa@kouyou-pharma.co.jp")],
    ),
    # --- 顧客対応ログ (call centre / chat transcripts) --------------------------------------------
    (
        "【通話記録】2025/03/12 10:14 受付\n"
        "オペレーター（井上）：お電話ありがとうございます、サンライズ通販カスタマーセンターの井上でございます。\n"
        "お客様：あ、すみません、先週注文した者なんですけど、中島と申します。\n"
        "オペレーター（井上）：中島様ですね。ご本人確認のため、ご登録のお電話番号をお願いいたします。\n"
        "お客様：０９０の４２１７の８８３５です。\n"
        "オペレーター（井上）：ありがとうございます。ご住所は福岡市早良区西新４丁目１番２号でお間違いないでしょうか。\n"
        "お客様：はい。あとメールは nakajima.y1985@docomo.ne.jp で。",
        [("NOT_DATETIME", "2025/03/12 10:14"), ("PERSON", "井上"), ("NOT_COMPANY", "サンライズ通販"), ("PERSON", "井上"),
         ("PERSON", "中島"), ("PERSON", "井上"), ("PERSON", "中島"), ("PHONE", "０９０の４２１７の８８３５"),
         ("PERSON", "井上"), ("ADDRESS", "福岡市早良区西新４丁目１番２号"), ("EMAIL", "nakajima.y1985@docomo.ne.jp")],
    ),
    (
        "14:02 [Bot] ご用件を選択してください\n14:03 [お客様] パスワードを忘れました\n"
        "14:05 [担当:矢野] 矢野が対応いたします。登録メールアドレスを教えてください\n"
        "14:06 [お客様] kenji_w@example.com です。名前は渡辺健二です\n"
        "14:07 [担当:矢野] 渡辺健二様、確認できました。再設定リンクを送信しました",
        [("PERSON", "矢野"), ("PERSON", "矢野"), ("EMAIL", "kenji_w@example.com"), ("PERSON", "渡辺健二"),
         ("PERSON", "矢野"), ("PERSON", "渡辺健二")],
    ),
    (
        "Support (Maria Santos): Hello, thank you for contacting Global Desk.\n"
        "Customer (Kobayashi Ryo): hi, my order hasn't arrived. phone is 080 4455 6677\n"
        "Support (Maria Santos): Thank you. Could you confirm your e-mail?\nCustomer (Kobayashi Ryo): ryo.k@example.org",
        [("PERSON", "Maria Santos"), ("PERSON", "Kobayashi Ryo"), ("PHONE", "080 4455 6677"), ("PERSON", "Maria Santos"),
         ("PERSON", "Kobayashi Ryo"), ("EMAIL", "ryo.k@example.org")],
    ),
    (
        "チケット #48213\n起票者：カスタマーサポート 平野\n顧客名：株式会社グリーンフィールド 総務部 松井 真理子 様\n"
        "連絡先：03-6809-1122（内線 205）/ matsui@greenfield.co.jp\n"
        "内容：請求書の宛名変更依頼。新住所は〒103-0027 東京都中央区日本橋3丁目4-5 日本橋第一ビル 8階。\n"
        "対応：平野→経理 長谷部へエスカレーション済",
        [("NOT_TICKET", "48213"), ("PERSON", "平野"), ("PERSON", "松井 真理子"), ("PHONE", "03-6809-1122"),
         ("NOT_EXTENSION", "205"), ("EMAIL", "matsui@greenfield.co.jp"), ("POSTAL_CODE", "103-0027"),
         ("ADDRESS", "東京都中央区日本橋3丁目4-5 日本橋第一ビル 8階"), ("PERSON", "平野"), ("PERSON", "長谷部")],
    ),
    (
        "@井口 さん 明日の件どうなりました？\n→ 井口: 先方(エム・テック 佐野さん)から OK もらいました。"
        "連絡先 sano.m@m-tech.example.jp\n→ 木村: 了解、ありがとう",
        [("PERSON", "井口"), ("PERSON", "井口"), ("NOT_COMPANY", "エム・テック"), ("PERSON", "佐野"),
         ("EMAIL", "sano.m@m-tech.example.jp"), ("PERSON", "木村")],
    ),
    (
        "お名前（任意）：みやざき あゆみ\nご意見：店員の田所さんの対応がとても丁寧でした。また利用します。\n"
        "連絡を希望する場合の電話番号：08011112222",
        [("PERSON", "みやざき あゆみ"), ("PERSON", "田所"), ("PHONE", "08011112222")],
    ),
    (
        "カード番号をお伺いします。\nお客様：えーと、4916 0000 0000 0005 です。有効期限は 12/28、セキュリティコードは 123 です。\n"
        "オペレーター：復唱します、末尾 0005 ですね。",
        [("CREDIT_CARD", "4916 0000 0000 0005"), ("NOT_EXPIRY", "12/28"), ("NOT_CVC", "123"), ("NOT_MASKED_CARD", "0005", 2)],
    ),
    # --- 障害報告書 ------------------------------------------------------------------------------
    (
        "障害報告書\n件名：基幹システム接続障害\n報告日：2025年3月15日\n報告者：情報システム部 坂本 健太\n承認：部長 大西\n\n"
        "1. 発生日時：2025/03/14 22:41〜23:58（77分）\n2. 影響範囲：受注システム（サーバ ord-app-02 / 10.20.4.17）\n"
        "3. 原因：DBサーバ 10.20.5.3 のディスク使用率100%\n4. 一次対応：当番の 森田（携帯 080-2718-2818）が再起動を実施\n"
        "5. 恒久対策：監視閾値を 85% に変更（チケット INC-2025-0314-07）",
        [("NOT_DATE", "2025年3月15日"), ("NOT_DEPT", "情報システム部"), ("PERSON", "坂本 健太"), ("PERSON", "大西"),
         ("NOT_TIME", "22:41〜23:58"), ("IP_ADDRESS", "10.20.4.17"), ("IP_ADDRESS", "10.20.5.3"), ("PERSON", "森田"),
         ("PHONE", "080-2718-2818"), ("NOT_TICKET", "INC-2025-0314-07")],
    ),
    (
        "Incident Report INC0012345\nAssigned to: Daisuke Mori\nOpened by: j.tanaka@acme-jp.com\nTimeline (JST):\n"
        " 09:05 alert fired on host 172.31.8.44 (i-0abc123def4567890)\n 09:12 Mori paged Tanaka (+81-80-1618-0339)\n"
        " 09:40 failover to 172.31.9.12 complete\nRoot cause: kernel 6.1.0-18-amd64 bug",
        [("NOT_TICKET", "INC0012345"), ("PERSON", "Daisuke Mori"), ("EMAIL", "j.tanaka@acme-jp.com"),
         ("IP_ADDRESS", "172.31.8.44"), ("NOT_INSTANCE", "i-0abc123def4567890"), ("PERSON", "Mori", 2),
         ("PERSON", "Tanaka"), ("PHONE", "+81-80-1618-0339"), ("IP_ADDRESS", "172.31.9.12"),
         ("NOT_VERSION", "6.1.0-18-amd64")],
    ),
    (
        "システム障害 第一報\n作成者：品質保証課 三浦\n確認者：課長 吉岡 亜希子\n"
        "現象：工場内ネットワークで通信断。プリンタ 192.168.30.51 応答なし。\n"
        "連絡先：保守ベンダー 日本ネットサービス株式会社 担当 片山様 0570-08-1234（受付 9:00〜18:00）",
        [("PERSON", "三浦"), ("PERSON", "吉岡 亜希子"), ("IP_ADDRESS", "192.168.30.51"), ("PERSON", "片山"),
         ("PHONE", "0570-08-1234"), ("NOT_TIME", "9:00〜18:00")],
    ),
    (
        "【不正ログイン検知】\nユーザー: 近藤 寛\n接続元: 45.76.113.201（海外）\n直前の正常ログイン: 126.36.77.5\n"
        "登録カード末尾 0366 を一時停止しました",
        [("PERSON", "近藤 寛"), ("IP_ADDRESS", "45.76.113.201"), ("IP_ADDRESS", "126.36.77.5"), ("NOT_MASKED_CARD", "0366")],
    ),
    # --- 見積書 / 請求書 / 支払調書 dumps ---------------------------------------------------------------
    (
        "御見積書\n見積番号：Q-2025-0412\n発行日：2025年3月18日\n\n株式会社ミドリ建設 御中\n工事部 川口 様\n\n"
        "件名：空調設備更新工事\n合計金額：￥3,630,000-（税込）\n有効期限：発行日より30日\n\n株式会社東和空調\n"
        "〒460-0008 愛知県名古屋市中区栄四丁目1番8号 栄サンシティビル12F\nTEL 052-241-5566 FAX 052-241-5567\n"
        "担当：営業課 小松 将太\n登録番号：T4401001012345",
        [("NOT_QUOTE", "Q-2025-0412"), ("NOT_DATE", "2025年3月18日"), ("NOT_COMPANY", "ミドリ建設"), ("PERSON", "川口"),
         ("NOT_PRICE", "￥3,630,000-"), ("POSTAL_CODE", "460-0008"),
         ("ADDRESS", "愛知県名古屋市中区栄四丁目1番8号 栄サンシティビル12F"), ("PHONE", "052-241-5566"),
         ("PHONE", "052-241-5567"), ("PERSON", "小松 将太"), ("CORPORATE_NUMBER", "4401001012345")],
    ),
    (
        "請 求 書\n                                        No. 20250331-118\n"
        "株式会社ハルカ商事　御中                  2025年3月31日\n"
        "                                        オフィス・ユキ\n"
        "                                        代表　雪村 ゆき\n"
        "                                        〒604-8005\n"
        "                                        京都府京都市中京区河原町通三条上る恵比須町427番地\n"
        "                                        TEL:075-211-3344\n"
        "品名            数量   単価       金額\nWeb保守（3月分） 1    55,000    55,000\n"
        "小計 55,000 / 消費税(10%) 5,500 / 合計 60,500\n振込先：京都中央信用金庫 本店 普通 0123456 ﾕｷﾑﾗ ﾕｷ",
        [("NOT_INVOICE", "20250331-118"), ("PERSON", "雪村 ゆき"), ("POSTAL_CODE", "604-8005"),
         ("ADDRESS", "京都府京都市中京区河原町通三条上る恵比須町427番地"), ("PHONE", "075-211-3344"),
         ("NOT_PRICE", "60,500"), ("NOT_ACCOUNT", "0123456"), ("PERSON", "ﾕｷﾑﾗ ﾕｷ")],
    ),
    (
        "報酬、料金、契約金及び賞金の支払調書\n支払を受ける者　住所：神奈川県川崎市中原区小杉町3-264-3 ザ・タワー1203\n"
        "氏名：岡田 修一\n個人番号：5772 1566 4908\n支払者　名称：株式会社リンクス\n法人番号：6702000033333\n"
        "支払金額：1,200,000円　源泉徴収税額：122,520円",
        [("ADDRESS", "神奈川県川崎市中原区小杉町3-264-3 ザ・タワー1203"), ("PERSON", "岡田 修一"),
         ("MY_NUMBER", "5772 1566 4908"), ("CORPORATE_NUMBER", "6702000033333"), ("NOT_PRICE", "1,200,000円"),
         ("NOT_PRICE", "122,520円")],
    ),
    (
        "ご注文確認\nご注文者：Yamashita Kenji 様\n"
        "お届け先：〒530-0001 大阪府大阪市北区梅田3丁目1番3号 ルクア大阪 10F　山下 健二 様\n"
        "お支払い：VISA 4532-0151-1283-0366\nご注文番号：250318-000921",
        [("PERSON", "Yamashita Kenji"), ("POSTAL_CODE", "530-0001"), ("ADDRESS", "大阪府大阪市北区梅田3丁目1番3号 ルクア大阪 10F"),
         ("PERSON", "山下 健二"), ("CREDIT_CARD", "4532-0151-1283-0366"), ("NOT_ORDER_NUMBER", "250318-000921")],
    ),
    (
        "取引先登録票\n商号：株式会社リンクス\n法人番号：8-3110-0302-1234\n適格請求書発行事業者登録番号：T6100001099999\n"
        "代表者：代表取締役 長野 誠司",
        [("CORPORATE_NUMBER", "8-3110-0302-1234"), ("CORPORATE_NUMBER", "6100001099999"), ("PERSON", "長野 誠司")],
    ),
    # --- 名刺 OCR ---------------------------------------------------------------------------------
    (
        "株式会社 アークデザイン\nArc Design Inc.\n\nクリエイティブディレクター\n藤 原　 真 一\nShinichi Fujiwara\n\n"
        "〒150-0001 東京都渋谷区神宮前5-52-2 青山オーバルビル16F\nT 03.6427.3311  F 03.6427.3312\nM 090.1234.9876\n"
        "fujiwara@arc-design.jp\nwww.arc-design.jp",
        [("PERSON", "藤 原　 真 一"), ("PERSON", "Shinichi Fujiwara"), ("POSTAL_CODE", "150-0001"),
         ("ADDRESS", "東京都渋谷区神宮前5-52-2 青山オーバルビル16F"), ("PHONE", "03.6427.3311"), ("PHONE", "03.6427.3312"),
         ("PHONE", "090.1234.9876"), ("EMAIL", "fujiwara@arc-design.jp"), ("NOT_URL", "www.arc-design.jp")],
    ),
    (
        "ｶﾌﾞｼｷｶﾞｲｼｬ ﾐﾅﾐ電機\n営業部 係長\n南　雲　拓　也\nﾅｸﾞﾓ ﾀｸﾔ\nTEL:０６－６２４４－１１２２\n携帯:090-5577-2233\n"
        "MAIL:t-nagumo@minami-denki.co.jp\n大阪市中央区本町２－１－６ 堺筋本町センタービル",
        [("PERSON", "南　雲　拓　也"), ("PERSON", "ﾅｸﾞﾓ ﾀｸﾔ"), ("PHONE", "０６－６２４４－１１２２"), ("PHONE", "090-5577-2233"),
         ("EMAIL", "t-nagumo@minami-denki.co.jp"), ("ADDRESS", "大阪市中央区本町２－１－６ 堺筋本町センタービル")],
    ),
    (
        "代表取締役社長 CEO 石田 誠 Makoto Ishida 株式会社ブルーオーシャン 〒810-0001 福岡市中央区天神2丁目 8-38 "
        "協和ビル 4F Tel.092-741-3300 Fax.092-741-3301 m.ishida@blueocean.co.jp",
        [("PERSON", "石田 誠"), ("PERSON", "Makoto Ishida"), ("POSTAL_CODE", "810-0001"),
         ("ADDRESS", "福岡市中央区天神2丁目 8-38 協和ビル 4F"), ("PHONE", "092-741-3300"), ("PHONE", "092-741-3301"),
         ("EMAIL", "m.ishida@blueocean.co.jp")],
    ),
    (
        "日本橋法律事務所\n弁護士　宮本 恵\nMegumi Miyamoto, Attorney at Law\n"
        "〒103-0022 東京都中央区日本橋室町2－3－1 室町古河三井ビル6階\n電話 (03) 3270-1111（代） 内線 123\n"
        "E-mail: miyamoto@nihonbashi-law.jp",
        [("PERSON", "宮本 恵"), ("PERSON", "Megumi Miyamoto"), ("POSTAL_CODE", "103-0022"),
         ("ADDRESS", "東京都中央区日本橋室町2－3－1 室町古河三井ビル6階"), ("PHONE", "(03) 3270-1111"),
         ("NOT_EXTENSION", "123"), ("EMAIL", "miyamoto@nihonbashi-law.jp")],
    ),
    # --- 住所 in many shapes -----------------------------------------------------------------------
    (
        "発送リスト（3月分）\n1) 〒０６０－８５８８ 北海道札幌市中央区北３条西６丁目 北海道庁別館 御中\n"
        "2) 〒 980-8570 宮城県仙台市青葉区本町3-8-1\n3) 1000005 東京都千代田区丸の内１ー９ー１\n"
        "4) 〒730‐0011 広島県広島市中区基町10番52号\n5) 郵便番号 900-8570 沖縄県那覇市泉崎1丁目2番2号",
        [("POSTAL_CODE", "０６０－８５８８"), ("ADDRESS", "北海道札幌市中央区北３条西６丁目"), ("POSTAL_CODE", "980-8570"),
         ("ADDRESS", "宮城県仙台市青葉区本町3-8-1"), ("POSTAL_CODE", "1000005"), ("ADDRESS", "東京都千代田区丸の内１ー９ー１"),
         ("POSTAL_CODE", "730‐0011"), ("ADDRESS", "広島県広島市中区基町10番52号"), ("POSTAL_CODE", "900-8570"),
         ("ADDRESS", "沖縄県那覇市泉崎1丁目2番2号")],
    ),
    (
        "京都の店舗一覧\n本店：京都市中京区寺町通二条上る常盤木町52\n四条店：京都市下京区四条通烏丸東入長刀鉾町8番地 3F\n"
        "北山店：京都府京都市北区上賀茂岩ケ垣内町45-3",
        [("ADDRESS", "京都市中京区寺町通二条上る常盤木町52"), ("ADDRESS", "京都市下京区四条通烏丸東入長刀鉾町8番地 3F"),
         ("ADDRESS", "京都府京都市北区上賀茂岩ケ垣内町45-3")],
    ),
    (
        "現住所：北海道旭川市4条通8丁目1703番地\n前住所：北海道帯広市西5条南10丁目2-1 コーポ西5条 201号室\n"
        "本籍：青森県上北郡野辺地町字野辺地123番地",
        [("ADDRESS", "北海道旭川市4条通8丁目1703番地"), ("ADDRESS", "北海道帯広市西5条南10丁目2-1 コーポ西5条 201号室"),
         ("ADDRESS", "青森県上北郡野辺地町字野辺地123番地")],
    ),
    (
        "所在地　福島県双葉郡大熊町大字下野上字清水230番地\n資材置場　岐阜県加茂郡白川町大字三川1234番地の2\n"
        "（旧住所：岐阜県加茂郡白川町三川字広野1234）",
        [("ADDRESS", "福島県双葉郡大熊町大字下野上字清水230番地"), ("ADDRESS", "岐阜県加茂郡白川町大字三川1234番地の2"),
         ("ADDRESS", "岐阜県加茂郡白川町三川字広野1234")],
    ),
    (
        "引越しのお知らせ：4月から 東京都世田谷区三軒茶屋2-11-22 サンタワーズセンタービル 602号室 に住むことになりました。"
        "近くに来たら連絡してね。佐々木より",
        [("ADDRESS", "東京都世田谷区三軒茶屋2-11-22 サンタワーズセンタービル 602号室"), ("PERSON", "佐々木")],
    ),
    (
        "契約者住所：神奈川県横浜市西区みなとみらい2ー2ー1\n請求先住所：埼玉県さいたま市浦和区高砂3‐15‐1 第2ビル\n"
        "設置場所：千葉県千葉市美浜区中瀬２−６−１ ワールドビジネスガーデン マリブウエスト１５Ｆ\n連絡先：048-829-1111",
        [("ADDRESS", "神奈川県横浜市西区みなとみらい2ー2ー1"), ("ADDRESS", "埼玉県さいたま市浦和区高砂3‐15‐1 第2ビル"),
         ("ADDRESS", "千葉県千葉市美浜区中瀬２−６−１ ワールドビジネスガーデン マリブウエスト１５Ｆ"), ("PHONE", "048-829-1111")],
    ),
    (
        "長野さんの新居は長野県松本市中央1丁目18番1号です。",
        [("PERSON", "長野"), ("ADDRESS", "長野県松本市中央1丁目18番1号")],
    ),
    # --- phone variants ----------------------------------------------------------------------------
    (
        "お問い合わせ先\n・フリーダイヤル 0120-963-412（携帯からは 0570-064-412）\n・IP電話 050-3786-1234\n"
        "・海外から +81 3-5510-8888\n・FAX専用 03(5510)8889\n・代表 ０３－５５１０－８８８７ 内線２１４",
        [("PHONE", "0120-963-412"), ("PHONE", "0570-064-412"), ("PHONE", "050-3786-1234"), ("PHONE", "+81 3-5510-8888"),
         ("PHONE", "03(5510)8889"), ("PHONE", "０３－５５１０－８８８７"), ("NOT_EXTENSION", "２１４")],
    ),
    (
        "折り返しは09012345678か、会社の0312345678までお願いします。自宅は0422-51-2345です。",
        [("PHONE", "09012345678"), ("PHONE", "0312345678"), ("PHONE", "0422-51-2345")],
    ),
    (
        "Tel.(011)231-4111 / Fax.(011)231-4112 / 携帯 080 1618 0339",
        [("PHONE", "(011)231-4111"), ("PHONE", "(011)231-4112"), ("PHONE", "080 1618 0339")],
    ),
    # --- names: honorifics, roles, labels, romanised ------------------------------------------------
    (
        "本日の来客予定\n10:00 株式会社ニシダ 西田社長、営業部長 藤井様\n13:30 東都大学 工学部 大森先生\n15:00 税理士 斉藤氏\n"
        "16:00 インターン 佐藤くん・鈴木さん 面談",
        [("NOT_COMPANY", "ニシダ"), ("PERSON", "西田"), ("PERSON", "藤井"), ("NOT_UNIVERSITY", "東都大学"), ("PERSON", "大森"),
         ("PERSON", "斉藤"), ("PERSON", "佐藤"), ("PERSON", "鈴木")],
    ),
    (
        "辞令\n山本 直樹 殿\n令和7年4月1日付をもって 大阪支店営業課長を命ずる\n株式会社中央産業 代表取締役 黒田 剛",
        [("PERSON", "山本 直樹"), ("NOT_DATE", "令和7年4月1日"), ("NOT_BRANCH", "大阪支店"), ("PERSON", "黒田 剛")],
    ),
    (
        "受付メモ：山田 さま （ヤマダ） 来店、修理品お渡し済み。次回は 5月予定。",
        [("PERSON", "山田"), ("PERSON", "ヤマダ")],
    ),
    (
        "文書番号：QP-0421 改訂3\n作成：2025/02/10 前川\n確認：2025/02/12 内田 恭子\n承認：2025/02/14 工場長 大槻\n"
        "配布先：製造課、品質保証課",
        [("NOT_DOC_NUMBER", "QP-0421"), ("PERSON", "前川"), ("PERSON", "内田 恭子"), ("PERSON", "大槻"),
         ("NOT_DEPT", "品質保証課")],
    ),
    (
        "昨日の打ち合わせには営業の竹内と、技術の北村が同席しました。次回は松尾も参加予定です。",
        [("PERSON", "竹内"), ("PERSON", "北村"), ("PERSON", "松尾")],
    ),
    (
        "Attendees: Ken Watanabe (Tokyo), SUZUKI Hanako (Osaka), Mr. Takahashi, Ms. Emi Ogawa\nNote taker: R. Hayashi",
        [("PERSON", "Ken Watanabe"), ("NOT_PLACE", "Tokyo"), ("PERSON", "SUZUKI Hanako"), ("NOT_PLACE", "Osaka"),
         ("PERSON", "Takahashi"), ("PERSON", "Emi Ogawa"), ("PERSON", "R. Hayashi")],
    ),
    # --- e-mail obfuscations ----------------------------------------------------------------------
    (
        "連絡はこちらへ → tanaka.m [at] example [dot] ne [dot] jp\nもしくは s_kudo(at)example.com まで（(at)を@に）",
        [("EMAIL", "tanaka.m [at] example [dot] ne [dot] jp"), ("EMAIL", "s_kudo(at)example.com")],
    ),
    # --- numbers ----------------------------------------------------------------------------------
    (
        "マイナンバー（個人番号）\n本人　３１４１－５９２６－５３５２\n配偶者　2718 2818 2840\n（通知カードの写しを添付）",
        [("MY_NUMBER", "３１４１－５９２６－５３５２"), ("MY_NUMBER", "2718 2818 2840")],
    ),
    (
        "年会費のお支払いカードを Amex 3714 496353 98431 から Discover 6011-0009-9013-9424 に変更しました。",
        [("CREDIT_CARD", "3714 496353 98431"), ("CREDIT_CARD", "6011-0009-9013-9424")],
    ),
]

#: Texts with no personal data; each listed value is a hard negative (must not be flagged).
NEGATIVES: list[tuple[str, list[Item]]] = [
    (
        "組織図（2025年4月1日現在）\n経営企画部／人事総務部／情報システム部／第一営業部／品質保証課",
        [("NOT_DATE", "2025年4月1日"), ("NOT_DEPT", "経営企画部"), ("NOT_DEPT", "人事総務部"), ("NOT_DEPT", "第一営業部"),
         ("NOT_DEPT", "品質保証課")],
    ),
    (
        "主要取引先：伊藤忠商事、佐藤製薬、小林製薬、森永製菓、吉野家ホールディングス、高島屋",
        [("NOT_COMPANY", "伊藤忠商事"), ("NOT_COMPANY", "佐藤製薬"), ("NOT_COMPANY", "小林製薬"), ("NOT_COMPANY", "森永製菓"),
         ("NOT_COMPANY", "吉野家"), ("NOT_COMPANY", "高島屋")],
    ),
    (
        "社内標準ソフト：一太郎 2025、花子、Microsoft Excel。社用車はカローラとプリウス。",
        [("NOT_PRODUCT", "一太郎"), ("NOT_PRODUCT", "花子"), ("NOT_PRODUCT", "カローラ")],
    ),
    (
        "出張先：宮崎県、石川県金沢市、福岡市博多区。集合は東京駅八重洲口。",
        [("NOT_PLACE", "宮崎県"), ("NOT_PLACE", "石川県金沢市"), ("NOT_PLACE", "福岡市博多区"), ("NOT_PLACE", "東京駅八重洲口")],
    ),
    (
        "型番：KJ-55X9500H\nシリアル：S/N 0312-4567-8901\nロット：24A0315-02\n製造番号：No.090-1234-567",
        [("NOT_MODEL", "KJ-55X9500H"), ("NOT_SERIAL", "0312-4567-8901"), ("NOT_LOT", "24A0315-02"),
         ("NOT_SERIAL", "090-1234-567")],
    ),
    (
        "納期：2025.04.15、R7.4.30、令和7年5月1日、2025/5/7(水)、25-05-12",
        [("NOT_DATE", "2025.04.15"), ("NOT_DATE", "R7.4.30"), ("NOT_DATE", "令和7年5月1日"), ("NOT_DATE", "2025/5/7(水)"),
         ("NOT_DATE", "25-05-12")],
    ),
    (
        "見積合計 ¥12,345,678-、値引 △120,000円、税額 1,234,567円、単価 @3,480",
        [("NOT_PRICE", "¥12,345,678-"), ("NOT_PRICE", "△120,000円"), ("NOT_PRICE", "1,234,567円"), ("NOT_PRICE", "@3,480")],
    ),
    (
        "対応バージョン：v2.10.3、Ver.3.2.1、1.0.0-rc.1、build 20250314.1、ファームウェア 1.2.10.255",
        [("NOT_VERSION", "v2.10.3"), ("NOT_VERSION", "Ver.3.2.1"), ("NOT_VERSION", "1.0.0-rc.1"),
         ("NOT_VERSION", "20250314.1"), ("NOT_VERSION", "1.2.10.255")],
    ),
    (
        "マイナンバー欄の 314159265353 は誤り（チェックデジット不一致）。法人番号 1401001012345 も誤り。"
        "カード番号 4532 0151 1283 0367 は無効。",
        [("INVALID_MY_NUMBER", "314159265353"), ("INVALID_CORPORATE_NUMBER", "1401001012345"),
         ("INVALID_CREDIT_CARD", "4532 0151 1283 0367")],
    ),
    (
        "OID 2.5.4.3、ビルド 10.0.22631.3155、座標 35.6812, 139.7671、IPアドレス欄：未設定",
        [("NOT_OID", "2.5.4.3"), ("NOT_VERSION", "10.0.22631.3155"), ("NOT_COORD", "35.6812"), ("NOT_COORD", "139.7671")],
    ),
    (
        "JANコード 4901234567894、ISBN 978-4-00-310101-8、郵便振替 00120-4-567890、部品コード 123-4567",
        [("NOT_JAN", "4901234567894"), ("NOT_ISBN", "978-4-00-310101-8"), ("NOT_FURIKAE", "00120-4-567890"),
         ("NOT_PART_NUMBER", "123-4567")],
    ),
    (
        "最寄り駅は高田馬場駅、乗換は大手町駅。近くに井の頭公園がある。",
        [("NOT_STATION", "高田馬場駅"), ("NOT_STATION", "大手町駅"), ("NOT_PARK", "井の頭公園")],
    ),
    (
        "浜松の中田島砂丘と松本城を巡る旅。お土産の日本酒は久保田と八海山にした。",
        [("NOT_PLACE", "中田島砂丘"), ("NOT_PLACE", "松本城"), ("NOT_PRODUCT", "久保田"), ("NOT_PRODUCT", "八海山")],
    ),
    (
        "会場：東京国際フォーラム ホールB7（千代田区丸の内）",
        [("NOT_VENUE", "東京国際フォーラム"), ("NOT_PLACE", "千代田区丸の内")],
    ),
    (
        "受付番号 0120-2025-0001、伝票番号 3141-5926-5358-97",
        [("NOT_RECEIPT_NUMBER", "0120-2025-0001"), ("NOT_SLIP", "3141-5926-5358-97")],
    ),
    (
        "稼働時間 8:30-17:15、休憩 12:00〜13:00、残業 12.5h、年間 1,850時間",
        [("NOT_TIME", "8:30-17:15"), ("NOT_TIME", "12:00〜13:00"), ("NOT_MEASURE", "12.5h")],
    ),
    (
        "担当者：未定\n承認者：（空欄）\n作成者：システム自動生成\n確認：済",
        [("NOT_PLACEHOLDER", "未定"), ("NOT_PLACEHOLDER", "システム自動生成"), ("NOT_PLACEHOLDER", "済")],
    ),
    (
        "部長、課長、係長の皆様へ。社長より年頭のご挨拶があります。各位、ご出席ください。",
        [("NOT_ROLE", "部長"), ("NOT_ROLE", "社長")],
    ),
    (
        "株式会社テクノス様、日本電子工業様、関東リース御中には別途ご案内済み。",
        [("NOT_COMPANY", "テクノス"), ("NOT_COMPANY", "日本電子工業"), ("NOT_COMPANY", "関東リース")],
    ),
    (
        "Project Phoenix kickoff: Team Alpha, Customer Success and the General Manager office.",
        [("NOT_PROJECT", "Project Phoenix"), ("NOT_TEAM", "Team Alpha"), ("NOT_TEAM", "Customer Success")],
    ),
    (
        "電話番号：090-****-5678、メール：t***@example.com、カード：**** **** **** 0366",
        [("NOT_MASKED_PHONE", "090-****-5678"), ("NOT_MASKED_EMAIL", "t***@example.com"),
         ("NOT_MASKED_CARD", "**** **** **** 0366")],
    ),
    (
        "個人情報保護法第27条、ISO/IEC 27001:2022、JIS Q 15001:2017 に準拠。",
        [("NOT_LAW", "第27条"), ("NOT_STANDARD", "27001:2022"), ("NOT_STANDARD", "JIS Q 15001:2017")],
    ),
    (
        "四条通烏丸東入ルあたりは人通りが多い。北海道の条丁目は碁盤の目になっている。",
        [("NOT_PLACE", "四条通烏丸東入ル"), ("NOT_PLACE", "北海道")],
    ),
    (
        "在庫一覧\n品名,型番,数量\nLEDライト,LD-0120-450,30\n延長コード,EC-090-1234,12\nモバイルバッテリー,MB-5000,8",
        [("NOT_MODEL", "LD-0120-450"), ("NOT_MODEL", "EC-090-1234"), ("NOT_MODEL", "MB-5000")],
    ),
    (
        "リリースノート\n・ログイン画面の文言を修正（#1234）\n・Python 3.11.8 に更新\n・依存ライブラリ requests 2.31.0",
        [("NOT_ISSUE", "#1234"), ("NOT_VERSION", "3.11.8"), ("NOT_VERSION", "2.31.0")],
    ),
    (
        "営業時間：平日 9:00〜18:00（土日祝休み）\n定休日のお問い合わせはWebフォームから。",
        [("NOT_TIME", "9:00〜18:00")],
    ),
    (
        "大和ハウス、清水建設、鹿島建設、大林組の4社が共同企業体を組む。",
        [("NOT_COMPANY", "大和ハウス"), ("NOT_COMPANY", "清水建設"), ("NOT_COMPANY", "鹿島建設"), ("NOT_COMPANY", "大林組")],
    ),
]


#: A held-out probe written AFTER the session-7 fixes this set drove, measured once and left as measured
#: (not tuned on): whether the fixes generalise to text they were not written for.
PROBE: list[tuple[str, list[Item]]] = [
    (
        "【チャット履歴】\nお客様（山本）：注文した商品が届きません\nサポート（大野）：ご不便をおかけしております。"
        "注文番号を教えてください\nお客様（山本）：A-20250401-77 です",
        [("PERSON", "山本"), ("PERSON", "大野"), ("PERSON", "山本"), ("NOT_ORDER_NUMBER", "A-20250401-77")],
    ),
    (
        "ご連絡先：info [at] sakura-kikaku [dot] jp（送信時は [at] を @ に変えてください）",
        [("EMAIL", "info [at] sakura-kikaku [dot] jp")],
    ),
    (
        "〒060-0042 北海道札幌市中央区大通西3丁目 7番地 北洋大通センター",
        [("POSTAL_CODE", "060-0042"), ("ADDRESS", "北海道札幌市中央区大通西3丁目 7番地 北洋大通センター")],
    ),
    (
        "現場責任者　ﾀﾅｶ ｼﾝｲﾁ（携帯 080-3333-4444）",
        [("PERSON", "ﾀﾅｶ ｼﾝｲﾁ"), ("PHONE", "080-3333-4444")],
    ),
    (
        "株式会社ミライ様より、見積依頼がありました。担当の吉田さんに回します。",
        [("NOT_COMPANY", "ミライ"), ("PERSON", "吉田")],
    ),
    (
        "電話で伺った番号は０８０の１２３４の５６７８です（田村様）",
        [("PHONE", "０８０の１２３４の５６７８"), ("PERSON", "田村")],
    ),
    (
        "議事メモ（3/5）\n参加：営業 西山、開発 小田切、品証 村井\n以上、村井より",
        [("PERSON", "西山"), ("PERSON", "小田切"), ("PERSON", "村井"), ("PERSON", "村井")],
    ),
    (
        "From: 星野 美咲 <m.hoshino@example.co.jp>\nSent: Tuesday, April 1, 2025 9:12 AM\nTo: 営業部 <sales@example.co.jp>",
        [("PERSON", "星野 美咲"), ("EMAIL", "m.hoshino@example.co.jp"), ("EMAIL", "sales@example.co.jp")],
    ),
    (
        "送付先：北海道釧路市黒金町7丁目5番地 釧路第一ビル3F　経理課 御中",
        [("ADDRESS", "北海道釧路市黒金町7丁目5番地 釧路第一ビル3F")],
    ),
    (
        "個人番号の欄には 1414 2135 6230 と記入（本人：佐野 修）",
        [("MY_NUMBER", "1414 2135 6230"), ("PERSON", "佐野 修")],
    ),
    (
        "株式会社ヤマダ様、有限会社スズキ様へ発送済み。製造番号 0312-5555-7777。",
        [("NOT_COMPANY", "ヤマダ"), ("NOT_COMPANY", "スズキ"), ("NOT_SERIAL", "0312-5555-7777")],
    ),
    (
        "フォーム・デザイン研究所の新刊『カラー・コーディネート入門』が届いた。",
        [("NOT_TITLE", "カラー・コーディネート")],
    ),
]


def _locate(text: str, items: list[Item]) -> list[tuple[str, int, int, str]]:
    """(kind, start, end, value) per item: ``(kind, value)`` is the value's next unlisted occurrence (the n-th
    listing is the n-th occurrence, as in pii_independent), ``(kind, value, n)`` its n-th occurrence."""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        kind, value = item[0], item[1]
        nth = item[2] if len(item) == 3 else seen.get(value, 0) + 1  # type: ignore[misc]
        start = -1
        for _ in range(nth):
            start = text.find(value, start + 1)
            if start < 0:
                raise ValueError(f"{value!r} not found {nth} times in case text")
        if len(item) == 2:
            seen[value] = nth
        out.append((kind, start, start + len(value), value))
    return out


def labelled() -> list[tuple[str, str, list[tuple[str, int, int, str]]]]:
    """(doc id, text, [(kind, start, end, value)]) for every case, negative text and probe."""
    docs = [(f"fresh-{i:03d}", text, _locate(text, items)) for i, (text, items) in enumerate(CASES)]
    docs += [(f"fneg-{i:03d}", text, _locate(text, items)) for i, (text, items) in enumerate(NEGATIVES)]
    docs += [(f"fprobe-{i:03d}", text, _locate(text, items)) for i, (text, items) in enumerate(PROBE)]
    return docs


def write_eval_files(out_dir: Path | str) -> tuple[Path, Path, Path]:
    """Write corpus.jsonl, labels.jsonl and decoys.jsonl (the ``deshi curate pii-eval`` inputs) of this set."""
    return _write_eval_files(out_dir, labelled())


__all__ = ["CASES", "NEGATIVES", "PII_TYPES", "PROBE", "labelled", "write_eval_files"]
