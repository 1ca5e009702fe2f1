package server

// tutorialCatalog holds the texts of /tutorial. Each step has, under
// "tutorial.<step ID>.", a title, a body, a press and a cli text, and a
// see.<place> text for every place the step lists in tutorialSteps.
var tutorialCatalog = map[string]map[string]string{
	"en": {
		"tutorial.title":        "Tutorial: step by step",
		"tutorial.heading":      "The Express tutorial, step by step in Go",
		"tutorial.lead":         "This app re-creates a Japanese tutorial that keeps Express session data in Redis with express-session and connect-redis. Here are its steps in order. Each one names the Express API the tutorial used and the Go code that does the same job in this app, then tells you what to press on the main page, what to look for in its three panels, and a redis-cli command to check Redis yourself.",
		"tutorial.no_session":   "Reading this page creates no session and changes nothing in Redis. Keep the main page open in another tab and switch between the two.",
		"tutorial.session_live": "The commands below use the session ID your browser holds now: %s. After you rotate or destroy the session, reload this page to update them.",
		"tutorial.session_none": "Your browser holds no live session, so the commands below show %s. Open the main page once, then reload this page, and your own ID fills in.",
		"tutorial.embedded":     "The app is running its embedded Redis, which gets a new port at every start; the commands below already carry this run's port. Interactive redis-cli does not work with the embedded server, so every command here is one-shot.",
		"tutorial.toc":          "Steps",
		"tutorial.step":         "Step %d",
		"tutorial.extra":        "Extra: not in the original tutorial",
		"tutorial.back":         "Back to the main page",
		"tutorial.open_main":    "Open the main page",
		"tutorial.press_button": "On the main page, press “%s”.",

		"tutorial.label.express":  "Express",
		"tutorial.label.go":       "Here in Go",
		"tutorial.label.press":    "Press",
		"tutorial.label.see":      "See",
		"tutorial.label.cli":      "Check in a terminal",
		"tutorial.place.terminal": "Terminal",

		"tutorial.settings.heading": "This app is running with",
		"tutorial.settings.cookie":  "Cookie name (the tutorial's key)",
		"tutorial.settings.prefix":  "Redis key prefix",
		"tutorial.settings.max_age": "Lifetime: cookie Max-Age and Redis TTL",

		"tutorial.install.title":        "Install the modules",
		"tutorial.install.body":         "The tutorial listed express, express-session and connect-redis in package.json and ran npm install. Here go.mod plays that part: Echo is the web framework, gorilla/sessions gives the session API, redisstore is the store that keeps sessions in Redis (the job of connect-redis), and go-redis is the Redis client. Thanks to miniredis the app also runs when no Redis server is installed. go run . downloads all of them and starts the app.",
		"tutorial.install.press":        "In the project folder, run the command below and wait until it says it is listening on http://localhost:8080. Then open the main page.",
		"tutorial.install.see.terminal": "With REDIS_URL unset, the app prints the address of its embedded Redis and a few ready-made redis-cli commands before the address it listens on. With REDIS_URL set, it uses that Redis instead.",
		"tutorial.install.cli":          "Prints PONG when the app's Redis answers.",

		"tutorial.configure.title":      "Configure the session store",
		"tutorial.configure.body":       "The tutorial set everything in code: cookieParser with a secret, the cookie name through key (web.engineer), a RedisStore with host, port and the prefix dev.blog, and a cookie with path / and a maxAge of 120000 ms, that is two minutes. Here the same settings come from environment variables, read by ConfigFromEnv with the tutorial's values as defaults, and cookieOptions turns them into the cookie's attributes. Two details differ on purpose. The prefix is dev.blog: with a colon, so a key reads dev.blog:<session id>. The lifetime is given in seconds, 120, and the same number is both the cookie's Max-Age and the key's TTL in Redis. The cookie carries the bare random ID; SESSION_SECRET is the key of the forms' CSRF tokens.",
		"tutorial.configure.press":      "Nothing to press. Open the main page and compare its cookie panel with the settings above.",
		"tutorial.configure.see.cookie": "Name web.engineer, Path /, Max-Age 120. HttpOnly and SameSite=Lax are set too, which the tutorial did not do.",
		"tutorial.configure.see.redis":  "The key starts with dev.blog: and its TTL counts down from 120 seconds.",
		"tutorial.configure.cli":        "Lists every session key under the prefix. It prints nothing until someone opens the main page.",

		"tutorial.create.title":      "Create and read a session value",
		"tutorial.create.body":       "In the tutorial, GET / read req.session.value and, when it was empty, stored Math.random() there. Here showIndex calls open. If the cookie names a session that Redis holds, open loads it and renews its TTL. If not, create picks a fresh random ID, stores a random float64 under value, saves the session in Redis and sends the ID to the browser in a cookie. One difference: the tutorial fills value again on every GET, while this app shows a live session as it is, so a deleted value stays deleted until you press “Regenerate value”.",
		"tutorial.create.press":      "Open the main page, then reload it once.",
		"tutorial.create.see.cookie": "On the first visit a green notice says that a session was created, and a new ID appears. After the reload the ID is the same.",
		"tutorial.create.see.redis":  "The key is the prefix followed by that same ID. Every reload puts the TTL back to about 120 seconds.",
		"tutorial.create.see.values": "value holds a random number, and reloading does not change it.",
		"tutorial.create.cli":        "Prints the stored JSON, such as {\"value\":0.7349}.",

		"tutorial.inspect.title":      "Look at the session in Redis",
		"tutorial.inspect.body":       "The tutorial opened a Redis admin tool to check two things: the ID inside the Redis key matches the cookie, and value holds the random number. The Redis panel of the main page shows the same on every load: the key, its TTL and the stored bytes. The bytes are readable text because JSONSerializer stores the values as JSON; redisstore's own format, gob, is binary (start the app with SESSION_SERIALIZER=gob to compare). You can also ask Redis directly with the commands below.",
		"tutorial.inspect.press":      "Nothing to press. Look at the main page, then run the commands below in a terminal.",
		"tutorial.inspect.see.cookie": "The cookie's value, the session ID, is highlighted in yellow.",
		"tutorial.inspect.see.redis":  "The same yellow ID ends the key, and the stored bytes are JSON such as {\"value\":0.7349}.",
		"tutorial.inspect.see.values": "value is listed with the type “number”: the server decoded it from those bytes.",
		"tutorial.inspect.cli":        "GET prints the stored bytes, PTTL the milliseconds left, and --scan every session key. These commands only read: unlike a page load, they do not renew the TTL.",

		"tutorial.delete.title":      "Delete one variable",
		"tutorial.delete.body":       "The tutorial removed only value, with delete req.session.value in a GET /session-delete route; the session itself stayed. Here POST /delete does the same. It is a form with a CSRF token rather than a link, so a prefetcher or another site cannot delete anything. deleteVariable hands the edit to change, which loads the newest copy of the session under a lock, removes the variable and saves the whole session back, renewing the TTL.",
		"tutorial.delete.press":      "The browser comes back to the main page by itself.",
		"tutorial.delete.see.cookie": "The same ID: the session is still there.",
		"tutorial.delete.see.redis":  "The same key, now holding {}. The TTL is back at about 120 seconds.",
		"tutorial.delete.see.values": "The table is gone and a line says the session holds no variables. Reloading does not bring value back.",
		"tutorial.delete.cli":        "Now prints {}.",

		"tutorial.destroy.title":      "Destroy the session",
		"tutorial.destroy.body":       "To remove the whole session rather than one variable, the tutorial called req.session.destroy(). That deletes the data in the store, but express-session leaves the cookie in the browser, which keeps sending an ID that no longer exists. Here POST /destroy deletes the Redis key and expires the cookie in the same response: destroy saves the session with a negative MaxAge, and redisstore then deletes the key and sends back an expired cookie. The browser returns to the main page without a cookie, so a brand-new session is created there.",
		"tutorial.destroy.press":      "Copy the commands below first: they hold your current ID, which is about to disappear.",
		"tutorial.destroy.see.cookie": "A different ID, and the notice that a new session was created.",
		"tutorial.destroy.see.redis":  "A new key under the new ID. The old key is gone.",
		"tutorial.destroy.see.values": "A fresh random value: nothing of the old session is left.",
		"tutorial.destroy.cli":        "Run them after pressing the button. EXISTS prints 0, because the old key is gone, and --scan lists only the new session's key (plus those of any other visitors).",

		"tutorial.rotate.title":      "Rotate the session ID",
		"tutorial.rotate.body":       "This step is not in the tutorial, but it is a common next one: give the session a new ID and keep its values, for example right after a login, so that an ID someone learned earlier stops working. Express has req.session.regenerate() for this; it also issues a new ID, but the new session starts empty, so the values are lost. Here rotate copies the values to a key under a new ID, deletes the old key and sends the new ID in the cookie. The CSRF token changes along with the ID.",
		"tutorial.rotate.press":      "Copy the commands below first, and run them after pressing.",
		"tutorial.rotate.see.cookie": "A new ID.",
		"tutorial.rotate.see.redis":  "The key now ends with the new ID, and the stored bytes are the same as before.",
		"tutorial.rotate.see.values": "Unchanged: every variable came along.",
		"tutorial.rotate.cli":        "GET on the old key prints (nil), and --scan lists the key with the new ID.",
	},
	"ja": {
		"tutorial.title":        "チュートリアル：手順を追って",
		"tutorial.heading":      "Expressのチュートリアルを、Goで一歩ずつ",
		"tutorial.lead":         "このアプリは、express-sessionとconnect-redisを使ってExpressのセッションデータをRedisに置く日本語のチュートリアルを、Goで作り直したものです。ここではその手順を順番にたどります。手順ごとに、チュートリアルが使ったExpressのAPIと、このアプリで同じ役目を果たすGoのコードを示し、メインページで押すもの、3つのパネルで見るところ、Redisを自分で確かめるためのredis-cliのコマンドを案内します。",
		"tutorial.no_session":   "このページを開いても、セッションは作られず、Redisの中身も変わりません。メインページを別のタブで開いておき、行き来しながら進めてください。",
		"tutorial.session_live": "下のコマンドには、いまブラウザが持っているセッションID（%s）が入っています。IDを変えたりセッションを破棄したりしたあとは、このページを再読み込みするとコマンドも新しくなります。",
		"tutorial.session_none": "ブラウザは有効なセッションを持っていないので、下のコマンドには %s と表示しています。メインページを一度開いてからこのページを再読み込みすると、あなたのIDが入ります。",
		"tutorial.embedded":     "アプリは組み込みRedisで動いています。組み込みRedisのポートは起動のたびに変わりますが、下のコマンドには今回のポートが入っています。組み込みサーバには対話モードのredis-cliが使えないので、コマンドはすべて1回で終わる形にしています。",
		"tutorial.toc":          "手順",
		"tutorial.step":         "ステップ%d",
		"tutorial.extra":        "おまけ：元のチュートリアルにはない手順です",
		"tutorial.back":         "メインページに戻る",
		"tutorial.open_main":    "メインページを開く",
		"tutorial.press_button": "メインページで「%s」を押します。",

		"tutorial.label.express":  "Express",
		"tutorial.label.go":       "このアプリ（Go）では",
		"tutorial.label.press":    "操作",
		"tutorial.label.see":      "見るところ",
		"tutorial.label.cli":      "ターミナルで確かめる",
		"tutorial.place.terminal": "ターミナル",

		"tutorial.settings.heading": "このアプリの現在の設定",
		"tutorial.settings.cookie":  "cookie名（チュートリアルのkey）",
		"tutorial.settings.prefix":  "Redisのキーのプレフィックス",
		"tutorial.settings.max_age": "有効期間（cookieのMax-AgeとRedisのTTL）",

		"tutorial.install.title":        "モジュールをインストールする",
		"tutorial.install.body":         "チュートリアルでは、express・express-session・connect-redisをpackage.jsonに書いてnpm installを実行しました。このアプリでその役目を担うのはgo.modです。WebフレームワークはEcho、セッションのAPIはgorilla/sessions、セッションをRedisに保存するストア（connect-redisの役目）はredisstore、Redisクライアントはgo-redisです。miniredisがあるので、Redisサーバをインストールしていなくても動きます。go run . を実行すると、これらがダウンロードされてアプリが起動します。",
		"tutorial.install.press":        "プロジェクトのフォルダで下のコマンドを実行し、http://localhost:8080 で待ち受けているという表示が出るまで待ちます。そのあとメインページを開きます。",
		"tutorial.install.see.terminal": "REDIS_URLを設定していなければ、待ち受けているアドレスの前に、組み込みRedisのアドレスと、すぐに使えるredis-cliのコマンドがいくつか表示されます。REDIS_URLを設定した場合は、そのRedisを使います。",
		"tutorial.install.cli":          "アプリのRedisが応答していれば、PONGと表示されます。",

		"tutorial.configure.title":      "セッションストアを設定する",
		"tutorial.configure.body":       "チュートリアルでは、設定をすべてコードに書いていました。秘密の文字列を渡したcookieParser、keyで指定するcookie名（web.engineer）、host・port・プレフィックスdev.blogを指定したRedisStore、そしてpathが/でmaxAgeが120000ミリ秒（2分）のcookieです。このアプリでは同じ設定を環境変数から読みます。読み込むのはConfigFromEnvで、既定値はチュートリアルと同じです。cookieの属性はcookieOptionsが決めます。意図して変えた点が2つあります。プレフィックスはコロン付きのdev.blog:なので、キーはdev.blog:<session id>の形になります。また、有効期間は秒で120と指定し、同じ数をcookieのMax-AgeとRedisのキーのTTLの両方に使います。cookieにはランダムなIDがそのまま入り、SESSION_SECRETはフォームのCSRFトークンの鍵として使います。",
		"tutorial.configure.press":      "押すものはありません。メインページを開き、cookieのパネルを上の設定と見比べてください。",
		"tutorial.configure.see.cookie": "名前はweb.engineer、Pathは/、Max-Ageは120です。チュートリアルでは設定していなかったHttpOnlyとSameSite=Laxも付いています。",
		"tutorial.configure.see.redis":  "キーはdev.blog:で始まり、TTLは120秒から減っていきます。",
		"tutorial.configure.cli":        "プレフィックスの付いたセッションのキーをすべて表示します。だれもメインページを開いていなければ、何も表示されません。",

		"tutorial.create.title":      "セッションの値を作って読む",
		"tutorial.create.body":       "チュートリアルのGET /は、req.session.valueを読み、空ならMath.random()の値を入れていました。このアプリではshowIndexがopenを呼びます。cookieのIDのセッションがRedisにあれば、openはそれを読み込み、TTLを延ばします。なければcreateが新しいランダムなIDを作り、valueにランダムなfloat64を入れてRedisに保存し、IDをcookieでブラウザに送ります。違いが1つあります。チュートリアルではGETのたびにvalueが入れ直されますが、このアプリは有効なセッションをそのまま表示するので、削除したvalueは「valueを作り直す」を押すまで消えたままです。",
		"tutorial.create.press":      "メインページを開き、一度再読み込みします。",
		"tutorial.create.see.cookie": "最初の訪問では、セッションを作ったことを知らせる緑のお知らせが出て、新しいIDが表示されます。再読み込みしてもIDは変わりません。",
		"tutorial.create.see.redis":  "キーはプレフィックスのあとに同じIDが続いたものです。再読み込みのたびにTTLが約120秒に戻ります。",
		"tutorial.create.see.values": "valueにランダムな数値が入っています。再読み込みしても変わりません。",
		"tutorial.create.cli":        "保存されているJSONが表示されます。たとえば {\"value\":0.7349} のような形です。",

		"tutorial.inspect.title":      "Redisの中のセッションを見る",
		"tutorial.inspect.body":       "チュートリアルでは、Redisの管理ツールを開いて2つのことを確かめていました。Redisのキーに含まれるIDがcookieと一致していること、そしてvalueにランダムな数値が入っていることです。メインページのRedisのパネルは、読み込むたびに同じ情報を表示します。キー、TTL、保存されているバイト列です。バイト列が読める文字になっているのは、JSONSerializerが値をJSONで保存しているからです。redisstore本来の形式であるgobはバイナリです（SESSION_SERIALIZER=gobで起動すると見比べられます）。下のコマンドで、Redisに直接たずねることもできます。",
		"tutorial.inspect.press":      "押すものはありません。メインページを見てから、下のコマンドをターミナルで実行します。",
		"tutorial.inspect.see.cookie": "cookieの値、つまりセッションIDが黄色で強調されています。",
		"tutorial.inspect.see.redis":  "同じ黄色のIDがキーの末尾にあり、保存されているバイト列は {\"value\":0.7349} のようなJSONです。",
		"tutorial.inspect.see.values": "valueが型「数値」として表示されています。サーバがあのバイト列から復元したものです。",
		"tutorial.inspect.cli":        "GETは保存されているバイト列を、PTTLは残りのミリ秒を、--scanはセッションのキーをすべて表示します。どれも読むだけなので、ページの読み込みと違ってTTLは延びません。",

		"tutorial.delete.title":      "変数を1つ削除する",
		"tutorial.delete.body":       "チュートリアルでは、GET /session-deleteのルートでdelete req.session.valueを実行し、valueだけを消していました。セッション自体は残ります。このアプリではPOST /deleteが同じことをします。リンクではなくCSRFトークン付きのフォームなので、先読みの仕組みや他のサイトが勝手に削除することはできません。deleteVariableは変更をchangeに任せます。changeはロックを取ってセッションの最新の内容を読み込み、変数を消して、セッション全体を保存し直します。このときTTLも延びます。",
		"tutorial.delete.press":      "ブラウザは自動でメインページに戻ります。",
		"tutorial.delete.see.cookie": "IDは同じです。セッションは残っています。",
		"tutorial.delete.see.redis":  "キーも同じで、中身は{}になりました。TTLは約120秒に戻っています。",
		"tutorial.delete.see.values": "表が消え、このセッションには変数がないという文が表示されます。再読み込みしてもvalueは戻りません。",
		"tutorial.delete.cli":        "今度は{}と表示されます。",

		"tutorial.destroy.title":      "セッションを破棄する",
		"tutorial.destroy.body":       "変数1つではなくセッション全体を消すために、チュートリアルはreq.session.destroy()を呼びました。これでストアのデータは消えますが、express-sessionはブラウザのcookieを残すので、ブラウザはもう存在しないIDを送り続けます。このアプリのPOST /destroyは、Redisのキーの削除とcookieの失効を同じレスポンスで行います。destroyはMaxAgeを負の値にしてセッションを保存し、それを受けてredisstoreがキーを消し、期限切れのcookieを返します。ブラウザはcookieを持たずにメインページに戻るので、そこで新しいセッションが作られます。",
		"tutorial.destroy.press":      "先に下のコマンドをコピーしておきましょう。もうすぐ消える、いまのIDが入っています。",
		"tutorial.destroy.see.cookie": "IDが変わり、新しいセッションを作ったというお知らせが出ます。",
		"tutorial.destroy.see.redis":  "新しいIDのキーが表示されます。古いキーはもうありません。",
		"tutorial.destroy.see.values": "新しいランダムなvalueが入っています。古いセッションのものは何も残っていません。",
		"tutorial.destroy.cli":        "ボタンを押したあとに実行します。古いキーはもうないので、EXISTSは0を表示します。--scanには新しいセッションのキーだけが表示されます（ほかの訪問者がいれば、その人たちのキーも出ます）。",

		"tutorial.rotate.title":      "セッションIDを変える",
		"tutorial.rotate.body":       "チュートリアルにはない手順ですが、次によく使う操作です。値はそのままに、セッションに新しいIDを与えます。たとえばログインの直後に行えば、それまでに他人に知られたIDは使えなくなります。Expressではreq.session.regenerate()がこれにあたり、やはり新しいIDを発行しますが、新しいセッションは空から始まるので値は失われます。このアプリのrotateは、値を新しいIDのキーにコピーし、古いキーを消して、新しいIDをcookieで送ります。CSRFトークンもIDと一緒に変わります。",
		"tutorial.rotate.press":      "先に下のコマンドをコピーしておき、押したあとに実行します。",
		"tutorial.rotate.see.cookie": "IDが新しくなります。",
		"tutorial.rotate.see.redis":  "キーの末尾が新しいIDになり、保存されているバイト列は前と同じです。",
		"tutorial.rotate.see.values": "変わりません。変数はすべて引き継がれています。",
		"tutorial.rotate.cli":        "古いキーへのGETは(nil)を表示し、--scanには新しいIDのキーが表示されます。",
	},
}

// init adds the tutorial's texts to the app's catalog.
func init() {
	for lang, texts := range tutorialCatalog {
		for key, text := range texts {
			catalog[lang][key] = text
		}
	}
}
