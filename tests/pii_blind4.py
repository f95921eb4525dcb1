"""A fourth hand-written PII set, written BLIND (session 7, branch pii8): composed before its author read
any recogniser under src/deshi/data/pii/ or the third set (tests/pii_fresh.py); only tests/pii_independent.py
was read, for the case format. Its first measurement is therefore an out-of-sample result.

The styles are those of a Japanese telecom / manufacturing / electronics company's own files, chosen to
differ from the three earlier sets: 保守作業報告 (作業者/立会者), 工事申込書 and 契約書 excerpts (甲乙),
顧客アンケート free text, 社内チャット (Slack-like: @mentions, names without 敬称, emoji), 議事録 出席者 lists,
人事通知 (異動/昇格), コールセンター応対記録 (折返し先), 配送伝票 (様方/気付, マンション名・部屋番号),
健康診断 free text, 英日混在 e-mail threads (From:/To:/Cc:, romanised names, signatures), 年賀状/挨拶状,
pdf-to-text output with a name or an address broken across lines; phone numbers in many shapes (市外局番 in
parentheses, full-width, without hyphens, 070/080/090, 050, 0120/0800, 0570, +81), My Numbers and corporate
numbers with valid check digits next to decoys with invalid ones, Luhn-valid cards, e-mails with
subaddresses and .co.jp/.ac.jp/.go.jp/.lg.jp, IPv4/IPv6, postal codes with and without 〒.

Format as in tests/pii_independent.py: ``(text, [(kind, value), ...])``; ``kind`` is a PII type (must be
found, exactly) or ``NOT_<WHAT>`` / ``INVALID_<TYPE>`` (a hard negative: must not be flagged). Nothing else
in a text may be flagged. A value listed twice refers to its first, then its second occurrence.

Labelling decisions (made while writing, before any measurement):
- a PERSON span is the name only (no 様/さん/殿/氏, no role); a romanised name is a PERSON as well;
- a Slack handle such as ``@k.mori`` is no name by itself (it is an account id), but ``@森`` is one;
- a PHONE span is the dialable number without its label and without a trailing 内線 part;
- an ADDRESS span runs from the prefecture (or city) to the building and room when they follow directly;
  ``様方``/``気付`` and the addressee are not part of it; an address broken across lines by pdf-to-text is
  one span including the line break;
- a company, plant, station, zoo or product name that contains a surname or a place name is no PII.
"""

from __future__ import annotations

from pathlib import Path

from pii_independent import PII_TYPES, _locate
from pii_independent import write_eval_files as _write

__all__ = ["CASES", "NEGATIVES", "PII_TYPES", "labelled", "write_eval_files"]

CASES: list[tuple[str, list[tuple[str, str]]]] = [
    # --- 保守作業報告 -----------------------------------------------------------------------------
    (
        "保守作業報告書\n作業番号：MW-2025-04871\n作業日：2025年5月12日（月）9:30〜11:45\n"
        "作業場所：神奈川県川崎市幸区堀川町72番地34 ラゾーナ川崎東芝ビル 地下2階 電気室\n"
        "作業者：協和電設 前田 和樹、小川\n立会者：ビル管理会社 高木 様\n"
        "作業内容：UPS（型式 UPS-7500R）バッテリー交換、ファームウェア v3.2.14 に更新\n"
        "連絡先：044-555-0193（作業者携帯 080-3921-7740）",
        [("NOT_WORK_ORDER", "MW-2025-04871"), ("NOT_DATE", "2025年5月12日"),
         ("ADDRESS", "神奈川県川崎市幸区堀川町72番地34 ラゾーナ川崎東芝ビル 地下2階"),
         ("NOT_COMPANY", "協和電設"), ("PERSON", "前田 和樹"), ("PERSON", "小川"), ("PERSON", "高木"),
         ("NOT_MODEL", "UPS-7500R"), ("NOT_VERSION", "v3.2.14"), ("PHONE", "044-555-0193"),
         ("PHONE", "080-3921-7740")],
    ),
    (
        "【障害対応記録】\n発生：2025/06/03 02:14　復旧：2025/06/03 04:50\n対象：コアルータ rt-core01（192.0.2.17）、"
        "管理IF 2001:db8:10:2::1\n一次対応：夜間当番 坂本（NOC）\n二次対応：ベンダー保守 日野 翔太 氏\n"
        "原因：光モジュール SFP-10G-LR の劣化。シリアル FNS21470KQ3 を交換。",
        [("IP_ADDRESS", "192.0.2.17"), ("IP_ADDRESS", "2001:db8:10:2::1"), ("PERSON", "坂本"), ("PERSON", "日野 翔太"),
         ("NOT_MODEL", "SFP-10G-LR"), ("NOT_SERIAL", "FNS21470KQ3"), ("NOT_TIME", "02:14")],
    ),
    (
        "定期点検チェックシート　No.0457\n点検者　：　松本 大輔\n確認者　：　上野\n"
        "設置先　：　株式会社ヤマト精工 様　群馬県太田市新田木崎町1120-3\n"
        "計器番号 4510-2203-118 / 電圧 6,600V / 絶縁抵抗 500MΩ 以上 良",
        [("PERSON", "松本 大輔"), ("PERSON", "上野"), ("NOT_COMPANY", "株式会社ヤマト精工"),
         ("ADDRESS", "群馬県太田市新田木崎町1120-3"), ("NOT_METER", "4510-2203-118"), ("NOT_VOLTAGE", "6,600V")],
    ),
    # --- 工事申込書 / 契約書 -------------------------------------------------------------------------
    (
        "光回線 工事申込書\nお申込者氏名：大西 美咲（オオニシ ミサキ）\n設置場所住所：〒560-0021 大阪府豊中市本町３丁目１－５７ "
        "ルミエール豊中 1102号室\n日中のご連絡先：06（6843）2270\n携帯電話：07012348890\n"
        "メールアドレス：misaki.onishi+hikari@gmail.com\nご希望工事日：第1希望 7月5日(土) 午前",
        [("PERSON", "大西 美咲"), ("PERSON", "オオニシ ミサキ"), ("POSTAL_CODE", "560-0021"),
         ("ADDRESS", "大阪府豊中市本町３丁目１－５７ ルミエール豊中 1102号室"), ("PHONE", "06（6843）2270"),
         ("PHONE", "07012348890"), ("EMAIL", "misaki.onishi+hikari@gmail.com")],
    ),
    (
        "業務委託契約書\n\n株式会社北斗通信（以下「甲」という。）と、中島 隆之（以下「乙」という。）とは、"
        "次のとおり契約を締結する。\n\n（甲）東京都千代田区大手町一丁目7番2号\n株式会社北斗通信\n代表取締役　佐伯 俊彦　㊞\n"
        "法人番号　2875886702279\n\n（乙）埼玉県さいたま市浦和区高砂3-14-2-905\n中島 隆之　㊞",
        [("NOT_COMPANY", "株式会社北斗通信"), ("PERSON", "中島 隆之"), ("ADDRESS", "東京都千代田区大手町一丁目7番2号"),
         ("PERSON", "佐伯 俊彦"), ("CORPORATE_NUMBER", "2875886702279"), ("ADDRESS", "埼玉県さいたま市浦和区高砂3-14-2-905"),
         ("PERSON", "中島 隆之")],
    ),
    (
        "秘密保持契約書（抜粋）\n第15条（通知）本契約に関する通知は、以下の宛先に書面で行う。\n"
        "甲：日東エレクトロニクス株式会社　法務部　担当 三宅　〒105-7110 東京都港区東新橋1-5-2 汐留シティセンター10F\n"
        "乙：合同会社クラウドリンク　代表社員 Michael Brown　michael.brown@cloudlink.co.jp\n"
        "（甲の法人番号 6054534291384、乙の法人番号 7054534291384）",
        [("NOT_COMPANY", "日東エレクトロニクス株式会社"), ("PERSON", "三宅"), ("POSTAL_CODE", "105-7110"),
         ("ADDRESS", "東京都港区東新橋1-5-2 汐留シティセンター10F"), ("PERSON", "Michael Brown"),
         ("EMAIL", "michael.brown@cloudlink.co.jp"), ("CORPORATE_NUMBER", "6054534291384"),
         ("INVALID_CORPORATE_NUMBER", "7054534291384")],
    ),
    # --- 顧客アンケート -----------------------------------------------------------------------------
    (
        "お客様アンケート（自由記述）\n「先日の訪問修理では、担当の清水さんがとても丁寧に説明してくれました。"
        "ただ、予約センター（0570-012-345）がなかなかつながらず、30分待ちました。」\n"
        "（回答者：福岡県北九州市小倉北区 40代 男性）",
        [("PERSON", "清水"), ("PHONE", "0570-012-345"), ("NOT_AREA", "福岡県北九州市小倉北区"), ("NOT_DURATION", "30分")],
    ),
    (
        "Q5. その他ご意見\nルーターの型番 WSR-3200AX4S を使っていますが、夜になると遅くなります。"
        "折り返しは 090 1234 5678 の上原まで。メールなら uehara_k@docomo.ne.jp でも可。\n"
        "Q6. ご住所（景品送付先）\n沖縄県那覇市おもろまち4丁目3番8号 ベルハーモニー801",
        [("NOT_MODEL", "WSR-3200AX4S"), ("PHONE", "090 1234 5678"), ("PERSON", "上原"),
         ("EMAIL", "uehara_k@docomo.ne.jp"), ("ADDRESS", "沖縄県那覇市おもろまち4丁目3番8号 ベルハーモニー801")],
    ),
    # --- 社内チャット --------------------------------------------------------------------------------
    (
        "#prj-5g-base 🚀\n[10:02] 森 正樹: @小野 検証環境の 10.24.8.31 落ちてます？🙏\n"
        "[10:03] 小野 彩: 再起動します！ 5分ください🙇\n[10:09] 小野 彩: 復旧しました ✅ @平野 さん確認お願いします\n"
        "[10:10] 森 正樹: 👍 ありがとう",
        [("PERSON", "森 正樹"), ("PERSON", "小野"), ("IP_ADDRESS", "10.24.8.31"), ("PERSON", "小野 彩"),
         ("PERSON", "小野 彩"), ("PERSON", "平野"), ("PERSON", "森 正樹")],
    ),
    (
        "@k.mori 明日の客先訪問、池田も同行します。先方は購買部の長谷部課長。\n"
        "住所は 愛知県豊田市トヨタ町1番地 ではなく、元町工場側なので注意 ⚠️\n"
        "代表番号 0565-28-2121 に着いたら電話。",
        [("NOT_HANDLE", "@k.mori"), ("PERSON", "池田"), ("PERSON", "長谷部"), ("ADDRESS", "愛知県豊田市トヨタ町1番地"),
         ("NOT_PLANT", "元町工場"), ("PHONE", "0565-28-2121")],
    ),
    (
        "今日のランチ 上野駅前の中華にしよう🍜 本田技研の人も来るらしい。\n"
        "あと日立製作所の見積 v2 は共有フォルダ \\\\fs01\\sales\\2025 に置きました（by 西村）",
        [("NOT_STATION", "上野駅前"), ("NOT_COMPANY", "本田技研"), ("NOT_COMPANY", "日立製作所"), ("PERSON", "西村")],
    ),
    # --- 議事録 -----------------------------------------------------------------------------------
    (
        "第3回 次期交換機リプレース検討会 議事録\n日時：2025年4月22日 13:00-14:30\n"
        "出席者：\n　ネットワーク本部　浅野部長、北村課長、平田\n　（株）富士通ネットワークソリューションズ　久保様、江口様\n"
        "欠席：桑原（出張）\n決定事項：切替日を 2025/11/15 に仮決定。",
        [("PERSON", "浅野"), ("PERSON", "北村"), ("PERSON", "平田"), ("NOT_COMPANY", "富士通ネットワークソリューションズ"),
         ("PERSON", "久保"), ("PERSON", "江口"), ("PERSON", "桑原"), ("NOT_DATE", "2025/11/15")],
    ),
    (
        "品質会議メモ　出席：品証 吉村 / 製造 岩田 / 設計 Tanaka Hiroshi / 購買 菅原 さおり\n"
        "不具合件数 12件（前月比 -3）、ロット L250418-07 は全数再検査。",
        [("PERSON", "吉村"), ("PERSON", "岩田"), ("PERSON", "Tanaka Hiroshi"), ("PERSON", "菅原 さおり"),
         ("NOT_LOT", "L250418-07")],
    ),
    # --- 人事通知 ----------------------------------------------------------------------------------
    (
        "人事異動のお知らせ（2025年7月1日付）\n・藤井 健太郎　（新）関西支社 営業部長　（旧）法人営業本部 第一営業部 課長\n"
        "・酒井 里奈　（新）技術開発センター 主任研究員　（旧）同センター 研究員\n"
        "・Rahul Sharma　（新）グローバル調達部 マネージャー\n以上",
        [("NOT_DATE", "2025年7月1日"), ("PERSON", "藤井 健太郎"), ("NOT_DEPT", "関西支社"), ("PERSON", "酒井 里奈"),
         ("PERSON", "Rahul Sharma")],
    ),
    (
        "辞令\n社員番号 204518\n氏名 今村 優一\n令和7年10月1日付をもって 主任 に昇格させる。\n\n株式会社東洋電機製作所\n"
        "代表取締役社長 大久保 誠",
        [("NOT_EMPLOYEE_NUMBER", "204518"), ("PERSON", "今村 優一"), ("NOT_COMPANY", "東洋電機製作所"), ("PERSON", "大久保 誠")],
    ),
    # --- コールセンター応対記録 --------------------------------------------------------------------------
    (
        "【応対履歴】受付No.CS-250611-0042\n受付日時 2025/06/11 15:22　担当：OP 三浦\n"
        "顧客名：河野 恵子 様（契約者本人）　契約ID：K0098123345\n"
        "内容：ひかり電話が不通。折返し先 ０８０－６６１２－３４０９（18時以降希望）。\n"
        "自宅 0467-22-8811 は不通のため不可。",
        [("NOT_TICKET", "CS-250611-0042"), ("PERSON", "三浦"), ("PERSON", "河野 恵子"), ("NOT_CONTRACT_ID", "K0098123345"),
         ("PHONE", "０８０－６６１２－３４０９"), ("PHONE", "0467-22-8811")],
    ),
    (
        "入電：050-3816-2290（IP電話）\nお客様名：ヨシダ タケシ様\n"
        "ご用件：請求額 8,712円 の内訳について。カード下4桁 4448 を確認済み。\n"
        "対応：請求明細を郵送。送付先は登録住所（長野県松本市中央2-5-33）。エスカレ先 SV 岡本。",
        [("PHONE", "050-3816-2290"), ("PERSON", "ヨシダ タケシ"), ("NOT_PRICE", "8,712円"), ("NOT_CARD_TAIL", "4448"),
         ("ADDRESS", "長野県松本市中央2-5-33"), ("PERSON", "岡本")],
    ),
    (
        "CallerID: +81-90-4821-7763\n本人確認：生年月日 1979年2月14日、郵便番号 9800811 で照合OK\n"
        "お名前：佐々木 光（ササキ ヒカル）\nメモ：解約引き止め。次回 0120-444-113 から折返し予定。",
        [("PHONE", "+81-90-4821-7763"), ("NOT_DATE", "1979年2月14日"), ("POSTAL_CODE", "9800811"),
         ("PERSON", "佐々木 光"), ("PERSON", "ササキ ヒカル"), ("PHONE", "0120-444-113")],
    ),
    # --- 配送伝票 ---------------------------------------------------------------------------------
    (
        "お届け先\n〒154-0004\n東京都世田谷区太子堂4-1-1 キャロットタワー 3F 山本様方\n石川 由美子 様\n"
        "電話 03-5430-1185\n品名：精密機器（光終端装置 ONU-GE-200）\n問合せ番号 4321-8765-0912",
        [("POSTAL_CODE", "154-0004"), ("ADDRESS", "東京都世田谷区太子堂4-1-1 キャロットタワー 3F"), ("PERSON", "山本"),
         ("PERSON", "石川 由美子"), ("PHONE", "03-5430-1185"), ("NOT_MODEL", "ONU-GE-200"), ("NOT_TRACKING", "4321-8765-0912")],
    ),
    (
        "ご依頼主：株式会社ミツワ電子部品 出荷センター TEL 0276-48-3300\n"
        "お届け先：北海道札幌市中央区北5条西2丁目5番地 JRタワーオフィスプラザさっぽろ 18階 気付 丸山 哲也 様\n"
        "配達希望：午前中　個数：3",
        [("NOT_COMPANY", "株式会社ミツワ電子部品"), ("PHONE", "0276-48-3300"),
         ("ADDRESS", "北海道札幌市中央区北5条西2丁目5番地 JRタワーオフィスプラザさっぽろ 18階"), ("PERSON", "丸山 哲也")],
    ),
    (
        "宛先: 〒812-0011 福岡県福岡市博多区博多駅前2丁目1-1 コーポ博多 205\n受取人: 中野 亜希\nTel: 092 431 7788",
        [("POSTAL_CODE", "812-0011"), ("ADDRESS", "福岡県福岡市博多区博多駅前2丁目1-1 コーポ博多 205"),
         ("PERSON", "中野 亜希"), ("PHONE", "092 431 7788")],
    ),
    # --- 健康診断 ---------------------------------------------------------------------------------
    (
        "健康診断結果のお知らせ\n受診者：土屋 直人 殿（社員番号 118204）\n受診日：2025年9月3日\n"
        "所見：血圧がやや高め（148/92）。要経過観察。\n産業医：宮崎 由紀子",
        [("PERSON", "土屋 直人"), ("NOT_EMPLOYEE_NUMBER", "118204"), ("NOT_DATE", "2025年9月3日"),
         ("NOT_BP", "148/92"), ("PERSON", "宮崎 由紀子")],
    ),
    (
        "再検査のご案内：内田さん、前回（3/18）の結果について、4月中に再受診をお願いします。予約は健康管理室 内線 2231 まで。",
        [("PERSON", "内田"), ("NOT_EXTENSION", "2231")],
    ),
    # --- 英日混在 e-mail ---------------------------------------------------------------------------
    (
        "From: Sato, Yuki <yuki.sato@nexwave.co.jp>\nTo: David Chen <dchen@apac.example.com>\n"
        "Cc: Kobayashi Ren <r-kobayashi@nexwave.co.jp>; procurement@nexwave.co.jp\nSubject: RE: RFQ #2025-118 base station antennas\n\n"
        "Hi all,\n\nThank you. Please find the revised quote (v4) attached.\n\nBest,\nYuki Sato\n"
        "Nexwave Corporation | Tel +81 3 6555 0142 | Mob +81-70-1357-2468",
        [("PERSON", "Sato, Yuki"), ("EMAIL", "yuki.sato@nexwave.co.jp"), ("PERSON", "David Chen"),
         ("EMAIL", "dchen@apac.example.com"), ("PERSON", "Kobayashi Ren"), ("EMAIL", "r-kobayashi@nexwave.co.jp"),
         ("EMAIL", "procurement@nexwave.co.jp"), ("PERSON", "Yuki Sato"),
         ("PHONE", "+81 3 6555 0142"), ("PHONE", "+81-70-1357-2468")],
    ),
    (
        "-----Original Message-----\n差出人: 村田 恭平 <kyohei.murata@u-tokyo.ac.jp>\n送信日時: 2025年2月4日 18:07\n"
        "宛先: 総務省 情報通信政策課 <ict-policy@soumu.go.jp>\n件名: 共同研究の件\n\n"
        "ご担当者様\n共同研究の打合せ日程について、ご連絡いたします。\n村田 恭平",
        [("PERSON", "村田 恭平"), ("EMAIL", "kyohei.murata@u-tokyo.ac.jp"), ("NOT_DATE", "2025年2月4日"),
         ("NOT_AGENCY", "総務省"), ("EMAIL", "ict-policy@soumu.go.jp"), ("PERSON", "村田 恭平")],
    ),
    (
        "Hi Nakamura-san,\nI've cc'd our field engineer, Ms. Emma Wilson (emma.wilson+jp@fieldtech.com).\n"
        "City office contact: 防災課 bousai@city.sendai.lg.jp / 022-214-3109\nRegards, Tom",
        [("PERSON", "Nakamura"), ("PERSON", "Emma Wilson"), ("EMAIL", "emma.wilson+jp@fieldtech.com"),
         ("EMAIL", "bousai@city.sendai.lg.jp"), ("PHONE", "022-214-3109"), ("PERSON", "Tom")],
    ),
    # --- 年賀状 / 挨拶状 ---------------------------------------------------------------------------
    (
        "謹賀新年\n旧年中は大変お世話になりました。本年もよろしくお願い申し上げます。\n令和八年 元旦\n"
        "〒２５１－００５２　神奈川県藤沢市藤沢９７３\n　　　　　　　　　　坂井 浩二\n　　　　　　　　　　　　　　美穂",
        [("POSTAL_CODE", "２５１－００５２"), ("ADDRESS", "神奈川県藤沢市藤沢９７３"), ("PERSON", "坂井 浩二"),
         ("PERSON", "美穂")],
    ),
    (
        "転勤のご挨拶\n拝啓 早春の候 ますますご清祥のこととお慶び申し上げます。\nさて私こと\nこのたび 名古屋支店勤務を命ぜられ "
        "三月一日着任いたしました\n在任中は格別のご厚情を賜り 心より御礼申し上げます\n敬具\n"
        "令和七年三月\n新任地　愛知県名古屋市中村区名駅四丁目7番1号 ミッドランドスクエア 15F\n山下 浩之",
        [("NOT_BRANCH", "名古屋支店"), ("ADDRESS", "愛知県名古屋市中村区名駅四丁目7番1号 ミッドランドスクエア 15F"),
         ("PERSON", "山下 浩之")],
    ),
    # --- pdf-to-text -------------------------------------------------------------------------------
    (
        "申 請 者 情 報\n氏名 （漢字） 小 林 拓 海\n住所 東京都江東区豊洲三丁目2番\n20号 豊洲フロント 7階\n"
        "電話番号 03 - 6221 - 0450",
        [("PERSON", "小 林 拓 海"), ("ADDRESS", "東京都江東区豊洲三丁目2番\n20号 豊洲フロント 7階"),
         ("PHONE", "03 - 6221 - 0450")],
    ),
    (
        "本件に関するお問い合わせは、カスタマーサービス部の永井\n智子（TEL：0800-111-7272、受付時間 9:00～18:00）"
        "までご連絡ください。\n東京都品川区東品川二丁目2番\n24号 天王洲セントラルタワー",
        [("PERSON", "永井\n智子"), ("PHONE", "0800-111-7272"), ("NOT_TIME", "9:00～18:00"),
         ("ADDRESS", "東京都品川区東品川二丁目2番\n24号 天王洲セントラルタワー")],
    ),
    # --- numbers: My Number, 法人番号, cards ------------------------------------------------------------
    (
        "扶養控除等申告書（写）\n本人 個人番号：3562 3012 3836\n配偶者 加藤 真紀　個人番号：607776793614\n"
        "控除対象扶養親族 加藤 颯太　個人番号：７３０４－８６７６－１４１３\n（訂正前の記載 356230123839 は誤り）",
        [("MY_NUMBER", "3562 3012 3836"), ("PERSON", "加藤 真紀"), ("MY_NUMBER", "607776793614"), ("PERSON", "加藤 颯太"),
         ("MY_NUMBER", "７３０４－８６７６－１４１３"), ("INVALID_MY_NUMBER", "356230123839")],
    ),
    (
        "マイナンバー確認書類チェック\n申請者番号 169610531782 → チェックデジット不一致で差戻し\n"
        "再提出：169610531789（通知カード）\n番号なし：392918073297（桁誤り、要確認）",
        [("INVALID_MY_NUMBER", "169610531782"), ("MY_NUMBER", "169610531789"), ("INVALID_MY_NUMBER", "392918073297")],
    ),
    (
        "取引先マスタ（CSV）\n取引先コード,名称,法人番号,所在地\nV-0192,株式会社三和工業,2982526373708,大阪府東大阪市高井田元町2-8-25\n"
        "V-0193,有限会社タカハシ電機,3982526373708,静岡県沼津市大岡1234\nV-0194,ケイ・システム合同会社,1423713312946,-",
        [("NOT_VENDOR", "V-0192"), ("CORPORATE_NUMBER", "2982526373708"), ("ADDRESS", "大阪府東大阪市高井田元町2-8-25"),
         ("INVALID_CORPORATE_NUMBER", "3982526373708"), ("ADDRESS", "静岡県沼津市大岡1234"),
         ("CORPORATE_NUMBER", "1423713312946"), ("NOT_COMPANY", "有限会社タカハシ電機")],
    ),
    (
        "オンライン決済ログ\n2025-08-01 12:04:55 card=4111222233334448 amount=12800 result=OK\n"
        "2025-08-01 12:05:10 card=4111 2222 3333 4449 amount=12800 result=NG(luhn)\n"
        "2025-08-01 12:07:41 card=5500-1234-5678-1230 amount=3300 result=OK ip=198.51.100.23",
        [("CREDIT_CARD", "4111222233334448"), ("NOT_LUHN_INVALID", "4111 2222 3333 4449"),
         ("CREDIT_CARD", "5500-1234-5678-1230"), ("IP_ADDRESS", "198.51.100.23"), ("NOT_AMOUNT", "12800")],
    ),
    (
        "法人カード利用明細\nカード番号：３５３０　１１１１　２２２２　３３３０\n利用者：営業部 和田 浩\n"
        "利用日 2025/07/14　ETC 首都高速 1,320円\n予備カード 6011-0099-8877-6659（停止中）",
        [("CREDIT_CARD", "３５３０　１１１１　２２２２　３３３０"), ("PERSON", "和田 浩"), ("NOT_PRICE", "1,320円"),
         ("CREDIT_CARD", "6011-0099-8877-6659")],
    ),
    # --- phones in many shapes ---------------------------------------------------------------------
    (
        "お問い合わせ窓口一覧\n・総合案内 (03)3501-1111\n・故障受付 ０１２０－０００－１１３（24時間）\n"
        "・法人窓口 0120123456\n・海外から +81-3-3501-2222\n・工事センター 0800-800-5555\n"
        "・ナビダイヤル ０５７０（０３３）１２１",
        [("PHONE", "(03)3501-1111"), ("PHONE", "０１２０－０００－１１３"), ("PHONE", "0120123456"),
         ("PHONE", "+81-3-3501-2222"), ("PHONE", "0800-800-5555"), ("PHONE", "０５７０（０３３）１２１")],
    ),
    (
        "本社　TEL 0298-64-1122　FAX 0298-64-1123\n筑波工場　TEL 029-864-5500（代）内線 331\n"
        "緊急時：工場長 須藤 携帯 090(8871)4420",
        [("PHONE", "0298-64-1122"), ("PHONE", "0298-64-1123"), ("NOT_PLANT", "筑波工場"), ("PHONE", "029-864-5500"),
         ("NOT_EXTENSION", "331"), ("PERSON", "須藤"), ("PHONE", "090(8871)4420")],
    ),
    # --- IP / e-mail / network config ---------------------------------------------------------------
    (
        "# ルータ設定差分（担当: 工藤）\ninterface GigabitEthernet0/1\n ip address 172.16.40.1 255.255.255.0\n"
        " ipv6 address 2001:db8:abcd:12::1/64\n ntp server 133.243.238.164\nsnmp-server contact noc-team@telco-east.co.jp\n"
        "! firmware 17.9.4a, build 20250301",
        [("PERSON", "工藤"), ("IP_ADDRESS", "172.16.40.1"), ("NOT_NETMASK", "255.255.255.0"),
         ("IP_ADDRESS", "2001:db8:abcd:12::1"), ("IP_ADDRESS", "133.243.238.164"),
         ("EMAIL", "noc-team@telco-east.co.jp"), ("NOT_VERSION", "17.9.4a")],
    ),
    # --- mixed forms --------------------------------------------------------------------------------
    (
        "来客記録\n日付：6月20日\n来訪者：株式会社アルファテック 飯田 様 ほか1名\n訪問先：開発二部 大塚\n"
        "入館証 No.088 貸出 13:05 返却 15:40",
        [("NOT_COMPANY", "株式会社アルファテック"), ("PERSON", "飯田"), ("PERSON", "大塚"), ("NOT_BADGE", "No.088")],
    ),
    (
        "修理依頼票\nお客様：原 健二 様\n〒 399-0702 長野県塩尻市広丘野村1612-3\nTEL：0263(52)0718\n"
        "製品：デジタルカメラ DSC-RX100M7 製造番号 4023587\n症状：電源が入らない。購入日 2024年12月",
        [("PERSON", "原 健二"), ("POSTAL_CODE", "399-0702"), ("ADDRESS", "長野県塩尻市広丘野村1612-3"),
         ("PHONE", "0263(52)0718"), ("NOT_MODEL", "DSC-RX100M7"), ("NOT_SERIAL", "4023587")],
    ),
    (
        "緊急連絡網（第2班）\n1. 班長 青木 090-1111-2345 → 2. 石田 080-2222-3456 → 3. 野口 美和 070-3333-4567\n"
        "※不在時は 03-3333-0000（守衛室）",
        [("PERSON", "青木"), ("PHONE", "090-1111-2345"), ("PERSON", "石田"), ("PHONE", "080-2222-3456"),
         ("PERSON", "野口 美和"), ("PHONE", "070-3333-4567"), ("PHONE", "03-3333-0000")],
    ),
    (
        "社員証 再発行申請\n申請者：林 拓也（ハヤシ タクヤ）\n個人番号：7974　8562　2913\n郵便番号：464-8601\n"
        "住所：愛知県名古屋市千種区不老町1番 東山寮 B-204\n連絡先メール：t-hayashi@nagoya-u.ac.jp",
        [("PERSON", "林 拓也"), ("PERSON", "ハヤシ タクヤ"), ("MY_NUMBER", "7974　8562　2913"), ("POSTAL_CODE", "464-8601"),
         ("ADDRESS", "愛知県名古屋市千種区不老町1番 東山寮 B-204"), ("EMAIL", "t-hayashi@nagoya-u.ac.jp")],
    ),
    (
        "登記・与信確認\n株式会社サンライズ電子　法人番号：5006822166309（国税庁公表サイトで確認済）\n"
        "旧取引先（誤記）：6006822166309\nグループ会社：3654549512064\n所在地：京都府京都市南区吉祥院西ノ庄猪之馬場町1番地",
        [("NOT_COMPANY", "株式会社サンライズ電子"), ("CORPORATE_NUMBER", "5006822166309"),
         ("INVALID_CORPORATE_NUMBER", "6006822166309"), ("CORPORATE_NUMBER", "3654549512064"),
         ("ADDRESS", "京都府京都市南区吉祥院西ノ庄猪之馬場町1番地")],
    ),
    (
        "VPN 接続ログ（抽出）\nuser=kikuchi.m src=203.0.113.45 assigned=10.8.0.22\n"
        "user=kikuchi.m src=2400:4050:a2c1:1f00::12 assigned=fd00:8::22\n申請者 菊池 舞 ／ マイナンバー 8557-8934-2585 で本人確認済み",
        [("IP_ADDRESS", "203.0.113.45"), ("IP_ADDRESS", "10.8.0.22"), ("IP_ADDRESS", "2400:4050:a2c1:1f00::12"),
         ("IP_ADDRESS", "fd00:8::22"), ("PERSON", "菊池 舞"), ("MY_NUMBER", "8557-8934-2585")],
    ),
    (
        "会費引落しカード変更届\n会員名：ＳＵＺＵＫＩ　ＭＡＹＵ\n新カード：3712 345678 90120（AMEX）\n"
        "旧カード：4980 5678 1234 5671（無効）\n〒０６０－０００１ 札幌市中央区北一条西２丁目",
        [("PERSON", "ＳＵＺＵＫＩ　ＭＡＹＵ"), ("CREDIT_CARD", "3712 345678 90120"), ("NOT_LUHN_INVALID", "4980 5678 1234 5671"),
         ("POSTAL_CODE", "０６０－０００１"), ("NOT_ADDRESS_WITHOUT_NUMBER", "札幌市中央区北一条西２丁目")],
    ),
]

#: Texts with no personal data at all: every listed value is a hard negative, and nothing may be flagged.
NEGATIVES: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "製品仕様\n型番：KX-PRW120-W　JANコード：4549980123456\nシリアル：SN 0312-4455-6789\n"
        "定格：AC100V 50/60Hz 消費電力 2.5W\nファームウェア：Ver.1.20.3",
        [("NOT_MODEL", "KX-PRW120-W"), ("NOT_JAN", "4549980123456"), ("NOT_SERIAL", "0312-4455-6789"),
         ("NOT_VERSION", "1.20.3")],
    ),
    (
        "受注番号 0120-5567-8890 / 出荷予定 2025-10-03 / 金額 1,234,560円 / 数量 090 個",
        [("NOT_ORDER", "0120-5567-8890"), ("NOT_DATE", "2025-10-03"), ("NOT_PRICE", "1,234,560円")],
    ),
    (
        "大阪工場と九州工場の生産ラインを統合し、品川駅前のショールームを閉鎖する。中央研究所は存続。",
        [("NOT_PLANT", "大阪工場"), ("NOT_PLANT", "九州工場"), ("NOT_PLACE", "品川駅前"), ("NOT_LAB", "中央研究所")],
    ),
    (
        "社会科見学：上野動物園 → 東京国立博物館。集合は上野公園 噴水前 9:30。",
        [("NOT_ZOO", "上野動物園"), ("NOT_MUSEUM", "東京国立博物館"), ("NOT_PARK", "上野公園")],
    ),
    (
        "競合比較：松下電器（現パナソニック）、本田技研工業、日立製作所、三菱電機、富士通、日本電気。",
        [("NOT_COMPANY", "松下電器"), ("NOT_COMPANY", "本田技研工業"), ("NOT_COMPANY", "日立製作所"),
         ("NOT_COMPANY", "三菱電機")],
    ),
    (
        "組織変更：技術本部 第一開発部 → 先端技術研究所、営業統括本部 西日本営業部、経営企画室。",
        [("NOT_DEPT", "第一開発部"), ("NOT_DEPT", "西日本営業部"), ("NOT_DEPT", "経営企画室")],
    ),
    (
        "請求書番号 2025-0801-0042、支払期限 2025年8月31日、振込手数料はご負担ください。合計 ¥98,000。",
        [("NOT_INVOICE", "2025-0801-0042"), ("NOT_DATE", "2025年8月31日"), ("NOT_PRICE", "¥98,000")],
    ),
    (
        "リリースノート v2.14.0 (2025-05-20)\n- Python 3.11.9 対応\n- libssl 3.0.13 へ更新\n- build 0312456789",
        [("NOT_VERSION", "2.14.0"), ("NOT_VERSION", "3.11.9"), ("NOT_VERSION", "3.0.13"), ("NOT_BUILD", "0312456789")],
    ),
    (
        "基地局ID 440-10-12345-6789、周波数 3.7GHz 帯、セクタ 1.2.3.4 構成（論理番号）",
        [("NOT_CELL_ID", "440-10-12345-6789"), ("NOT_SECTOR", "1.2.3.4")],
    ),
    (
        "会議室予約：7F 中央会議室 10:00-11:00、新宿南口の会議室は使用不可。秋葉原UDX 4階 セミナー。",
        [("NOT_ROOM", "中央会議室"), ("NOT_PLACE", "新宿南口"), ("NOT_BUILDING", "秋葉原UDX")],
    ),
    (
        "部品表\n品番\t品名\t数量\n0120-3345\tネジ M3x8\t200\n090-1122-AB\tスペーサ\t50\n080-5566-7\tワッシャ\t100",
        [("NOT_PART", "0120-3345"), ("NOT_PART", "090-1122-AB"), ("NOT_PART", "080-5566-7")],
    ),
    (
        "在庫：JAN 4901777123455 を 48 個、JAN 4902102112345 を 120 個。棚卸日 2025/09/30。",
        [("NOT_JAN", "4901777123455"), ("NOT_JAN", "4902102112345"), ("NOT_DATE", "2025/09/30")],
    ),
    (
        "売上高 12,345,678,901 円（前年同期比 +4.2%）。従業員数 1,203 名。資本金 4,900,000,000 円。",
        [("NOT_AMOUNT", "12,345,678,901"), ("NOT_AMOUNT", "4,900,000,000")],
    ),
    (
        "東京都の人口は約1,400万人。大阪府と愛知県がこれに続く。北海道の面積は最大。",
        [("NOT_AREA", "東京都"), ("NOT_AREA", "大阪府"), ("NOT_AREA", "愛知県")],
    ),
    (
        "試験結果：サンプル 123456789012 は NG、サンプル 987654321098 は OK（試料番号は12桁の連番）。",
        [("NOT_SAMPLE", "123456789012"), ("NOT_SAMPLE", "987654321098")],
    ),
    (
        "タイムスタンプ 1717171717171、UUID 550e8400-e29b-41d4-a716-446655440000、ハッシュ 5d41402abc4b2a76b9719d911017c592",
        [("NOT_TIMESTAMP", "1717171717171"), ("NOT_UUID", "550e8400-e29b-41d4-a716-446655440000")],
    ),
    (
        "MACアドレス 00:1A:2B:3C:4D:5E、VLAN 120、ポート 8443、OID 1.3.6.1.2.1.1.5.0",
        [("NOT_MAC", "00:1A:2B:3C:4D:5E"), ("NOT_OID", "1.3.6.1.2.1.1.5.0")],
    ),
    (
        "新製品「さくら」「若葉」「大和」シリーズを発表。中村屋、高島屋、松屋で販売。",
        [("NOT_PRODUCT", "大和"), ("NOT_STORE", "中村屋"), ("NOT_STORE", "高島屋"), ("NOT_STORE", "松屋")],
    ),
    (
        "通話料金：市内 8.5円/3分、携帯宛 17.5円/30秒。問合せ番号 03-XXXX-XXXX（記載例）。",
        [("NOT_EXAMPLE", "03-XXXX-XXXX")],
    ),
    (
        "郵便番号の記入欄は7桁（例：〒000-0000）です。電話番号欄は 00-0000-0000 の形式で記入してください。",
        [("NOT_EXAMPLE", "000-0000"), ("NOT_EXAMPLE", "00-0000-0000")],
    ),
    (
        "座標 35.6812,139.7671 にて測定。標高 40.5m、気温 28.4℃、湿度 65%。",
        [("NOT_COORD", "35.6812,139.7671")],
    ),
    (
        "プロジェクトコード PJ-0570-2025、経費番号 0800-11、予算 3,300万円。",
        [("NOT_PROJECT", "PJ-0570-2025"), ("NOT_COST", "0800-11")],
    ),
]


def labelled() -> list[tuple[str, str, list[tuple[str, int, int, str]]]]:
    """(doc id, text, [(kind, start, end, value)]) for every case and negative text of this set."""
    docs = [(f"b4-{i:03d}", text, _locate(text, items)) for i, (text, items) in enumerate(CASES)]
    docs += [(f"b4neg-{i:03d}", text, _locate(text, items)) for i, (text, items) in enumerate(NEGATIVES)]
    return docs


def write_eval_files(out_dir: Path | str) -> tuple[Path, Path, Path]:
    """corpus.jsonl, labels.jsonl, decoys.jsonl of this set (inputs of ``deshi curate pii-eval``)."""
    return _write(out_dir, labelled())
