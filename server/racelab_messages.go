package server

// raceCatalog holds the texts of the race lab, /lab/race.
var raceCatalog = map[string]map[string]string{
	"en": {
		"nav.race": "Race lab",

		"race.title":   "Race lab",
		"race.heading": "Race lab: many changes to one session at once",
		"race.lead":    "One session is often changed by several requests at the same moment: two open tabs, a double click, a page that sends a few requests together. Every change loads the session, edits it and saves it whole. When two changes load the same state before either saves, the later save overwrites the earlier one and a change is lost without any error. Press the button to fire the chosen number of writers at one throw-away session, each adding 1 to a counter: first through the stock redisstore used bare, then through this app's store, which holds a per-session lock in Redis around every change.",
		"race.writers": "Writers (%d–%d)",
		"race.run":     "Run the race",
		"race.safety":  "Runs on a throw-away session under a separate lab prefix; your own session is not touched, and every key the lab writes is deleted before this page is answered.",

		"race.ran":           "%d writers each added 1 to the counter of one throw-away session:",
		"race.stock":         "Stock redisstore v9.0.0, no lock",
		"race.hardened":      "This app: Store.Change, locked",
		"race.verdict":       "Verdict",
		"race.lost_some":     "%d of %d increments were overwritten by other writers",
		"race.lost_none":     "All %d increments were kept",
		"race.sent":          "Increments sent",
		"race.survived":      "Counter in Redis afterwards",
		"race.lost":          "Lost",
		"race.wall":          "Wall time, all writers",
		"race.commands":      "Redis commands, all writers",
		"race.timeline":      "The first %d writers to read, as Redis saw them",
		"race.timeline_help": "Their commands merged in the order their replies came back, which is close to the order Redis ran them (a command may first wait for a free connection, so the moment it was sent says less). # is the writer's number, in the order the writers were started; ms is when the reply arrived, counted from the moment all writers were let go.",
		"race.writer_help":   "the writer's number, in the order the writers were started",
		"race.at_help":       "milliseconds from the moment all writers were let go until this reply arrived",
		"race.hidden":        "%d more commands of these writers are not shown.",
		"race.shortened":     "Session IDs and lock tokens are shortened to their first 6 characters; the command log also cuts any argument longer than 100 characters.",
		"race.cleaned":       "The lab deleted every key it wrote (the session, its lock and flash keys) and checked with EXISTS: %d lab keys left.",
		"race.bad_writers":   "The number of writers is a whole number from 2 to 50.",

		"race.why_stock.heading": "Why the stock store loses increments",
		"race.why_stock":         "Each writer sends GET, adds 1 in Go, and sends SET with the whole session. Redis runs one command at a time, but nothing keeps other writers' commands out of the gap between one writer's GET and its SET. When writers A and B both GET {\"counter\":4} before either of them writes, both SET {\"counter\":5}: two increments, one kept. In the timeline, look for GETs with the same reply followed by SETs of the same value.",
		"race.why_lock.heading":  "How the lock keeps every increment",
		"race.why_lock":          "Store.Change first takes the session's lock with SET lock:… token EX … NX. The token is random, and the expiry frees the lock should its holder die. NX means “only if the key does not exist yet”, so exactly one writer gets OK; the others get (nil), send a GET to see who holds the lock, and try again after a short pause that doubles from 1 ms up to 20 ms. The holder sends GET, adds 1, sends SET, and lets go with EVAL of a short Lua script that deletes the lock only if it still holds this writer's token, so a writer whose lock has expired cannot remove the next writer's lock. The next writer's GET therefore always sees the previous writer's SET.",
		"race.why_cost.heading":  "What the lock costs",
		"race.why_cost":          "The writers now take turns, so the locked side takes longer (compare the wall times) and sends more commands: each writer adds a SET NX and an EVAL, and each retry of a waiting writer a SET NX and a GET. One person's changes rarely collide, so in everyday use the wait is a millisecond or two. A value that many requests change at once, such as a page counter, does not belong in a session: give it a key of its own and change it with INCR, which reads and writes inside Redis in one step and so needs no lock.",
	},
	"ja": {
		"nav.race": "同時更新ラボ",

		"race.title":   "同時更新ラボ",
		"race.heading": "同時更新ラボ：1つのセッションを同時に書き換えると",
		"race.lead":    "1つのセッションが、複数のリクエストから同時に書き換えられることはよくあります。タブを2つ開いている、ボタンを2回押してしまう、ページがいくつかのリクエストをまとめて送る、といった場合です。変更はどれも、セッションを読み込み、書き換え、まるごと保存します。2つの変更が、どちらも保存する前に同じ状態を読み込むと、後から保存したほうが先の変更を上書きし、エラーも出ないまま変更が1つ消えます。ボタンを押すと、使い捨てのセッション1つに、指定した数の書き手を同時に走らせます。書き手はそれぞれカウンタに1を足します。1回目は素のredisstoreをそのまま使い、2回目はこのアプリのストアを使います。このアプリのストアは、変更のたびにセッションごとのロックをRedisで取ります。",
		"race.writers": "書き手の数（%d〜%d）",
		"race.run":     "同時に書き込む",
		"race.safety":  "専用のプレフィックスの使い捨てセッションで実行します。あなたのセッションには触れず、ラボが書いたキーはこのページを返す前にすべて削除します。",

		"race.ran":           "%d人の書き手が、使い捨てのセッション1つのカウンタにそれぞれ1を足しました。キー：",
		"race.stock":         "素のredisstore v9.0.0（ロックなし）",
		"race.hardened":      "このアプリ：Store.Change（ロックあり）",
		"race.verdict":       "結果",
		"race.lost_some":     "%[2]d回の加算のうち%[1]d回が、ほかの書き手に上書きされて消えた",
		"race.lost_none":     "%d回の加算がすべて残った",
		"race.sent":          "送った加算",
		"race.survived":      "終了後にRedisにあるカウンタ",
		"race.lost":          "消えた加算",
		"race.wall":          "全書き手の所要時間",
		"race.commands":      "Redisのコマンド数（全書き手）",
		"race.timeline":      "最初に読み込んだ%d人の書き手：Redisから見た順序",
		"race.timeline_help": "これらの書き手のコマンドを、応答が返ってきた順に並べています。Redisが実行した順とほぼ同じです（コマンドは空いている接続を待ってから送られることがあるので、送り出した時刻ではこの順は分かりません）。#は書き手の番号（起動した順）、msは全書き手を一斉に走らせてから応答が届くまでの時間です。",
		"race.writer_help":   "書き手の番号（起動した順）",
		"race.at_help":       "全書き手を一斉に走らせてから、この応答が届くまでのミリ秒",
		"race.hidden":        "この書き手たちのコマンドは、ほかに%d個あります（表示を省略）。",
		"race.shortened":     "セッションIDとロックのトークンは先頭6文字に縮めて表示しています。また、コマンドの記録は100文字を超える引数を切り詰めます。",
		"race.cleaned":       "ラボは書いたキー（セッションとそのロック・フラッシュのキー）をすべて削除し、EXISTSで確かめました。残ったラボのキー：%d個。",
		"race.bad_writers":   "書き手の数は2から50までの整数で指定してください。",

		"race.why_stock.heading": "素のストアで加算が消えるわけ",
		"race.why_stock":         "書き手はそれぞれGETを送り、Goの中で1を足し、セッション全体をSETで書き戻します。Redisはコマンドを1つずつ実行しますが、ある書き手のGETとSETのすきまに、ほかの書き手のコマンドが入り込むのを防ぐものはありません。書き手Aと書き手Bが、どちらも書き込む前に{\"counter\":4}をGETすると、2人とも{\"counter\":5}をSETします。加算は2回でも、残るのは1回分です。タイムラインで、同じ応答を受け取ったGETと、同じ値を書き込むSETを探してみてください。",
		"race.why_lock.heading":  "ロックですべての加算が残るしくみ",
		"race.why_lock":          "Store.Changeは、まずSET lock:… トークン EX … NXでセッションのロックを取ります。トークンはランダムな文字列で、有効期限は持ち主が落ちたときにロックを解放するためのものです。NXは「キーがまだないときだけ」という意味なので、OKを受け取るのは1人の書き手だけです。ほかの書き手は(nil)を受け取り、GETで誰がロックを持っているかを確かめてから、少し待ってやり直します。待ち時間は1ミリ秒から倍々に延び、最大20ミリ秒です。ロックを取った書き手はGETし、1を足してSETし、短いLuaスクリプトをEVALしてロックを外します。このスクリプトは、ロックのキーにまだ自分のトークンが入っているときだけキーを消すので、ロックの期限が切れた書き手が、次の書き手のロックを消してしまうことはありません。こうして次の書き手のGETは、必ず前の書き手のSETの結果を読みます。",
		"race.why_cost.heading":  "ロックの代償",
		"race.why_cost":          "書き手は順番待ちになるので、ロックありのほうが時間がかかり（所要時間を比べてください）、コマンドも増えます。書き手ごとにSET NXとEVALが加わり、待っている書き手は再試行のたびにSET NXとGETを送ります。1人の利用者の変更がぶつかることはまれなので、ふだんの待ち時間は1〜2ミリ秒です。ページの閲覧数のように大勢のリクエストが同時に書き換える値は、そもそもセッションに入れるものではありません。専用のキーを作り、INCRで書き換えましょう。INCRは読み込みと書き込みをRedisの中で一度に行うので、ロックはいりません。",
	},
}

func init() {
	for lang, texts := range raceCatalog {
		for key, text := range texts {
			catalog[lang][key] = text
		}
	}
}
