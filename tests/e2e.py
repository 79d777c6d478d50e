#!/usr/bin/env python3
"""End to end in headless Chromium: log in, read the cockpit, drill down to source rows,
acknowledge an alert, open every archived monthly report, run a console query, walk a problem
item from entry to 销号 through the committee and the unit (with a send-back, evidence and a
rating), open the annual review's page as an adviser, comment on and endorse a finding, adopt it
as the committee (审议意见 on the problem list), download the draft review report as DOCX, ask
three questions (问数: a ranking, a time word, an ambiguous name), and read a bounded viewer's
cockpit.

Drives Debian's chromium through chromedriver's W3C WebDriver API with nothing but the standard
library. Screenshots go to --shots (default: target/e2e-shots) for a person to look at.

    python3 tests/e2e.py --purse target/release/purse [--data-dir DIR] [--shots DIR]
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s")


class Driver:
    """The few W3C WebDriver commands this test needs."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": shutil.which("chromium") or "/usr/bin/chromium",
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                            "--no-first-run", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync",
                            "--disable-dev-shm-usage", "--window-size=1440,1000",
                            "--lang=zh-CN",
                        ],
                    },
                }
            }
        }
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        if method == "POST" and data is None:
            data = b"{}"
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise SystemExit(f"webdriver {method} {path}: {e.code} {e.read()[:400]!r}")

    def s(self, path):
        return f"/session/{self.sid}{path}"

    def go(self, url):
        self.call("POST", self.s("/url"), {"url": url})

    def url(self):
        return self.call("GET", self.s("/url"))

    def find(self, css):
        v = self.call("POST", self.s("/element"), {"using": "css selector", "value": css})
        return next(iter(v.values()))

    def find_all(self, css):
        v = self.call("POST", self.s("/elements"), {"using": "css selector", "value": css})
        return [next(iter(e.values())) for e in v]

    def click(self, el):
        self.call("POST", self.s(f"/element/{el}/click"))

    def type(self, el, text):
        self.call("POST", self.s(f"/element/{el}/value"), {"text": text})

    def clear(self, el):
        self.call("POST", self.s(f"/element/{el}/clear"))

    def text(self, el):
        return self.call("GET", self.s(f"/element/{el}/text"))

    def attr(self, el, name):
        return self.call("GET", self.s(f"/element/{el}/attribute/{name}"))

    def source(self):
        return self.call("GET", self.s("/source"))

    def shot(self, path):
        # Full page: grow the window to the document's height first.
        h = self.call("POST", self.s("/execute/sync"),
                      {"script": "return document.documentElement.scrollHeight", "args": []})
        self.call("POST", self.s("/window/rect"), {"width": 1440, "height": min(max(int(h), 800), 6000)})
        png = base64.b64decode(self.call("GET", self.s("/screenshot")))
        with open(path, "wb") as f:
            f.write(png)
        self.call("POST", self.s("/window/rect"), {"width": 1440, "height": 1000})
        print(f"  screenshot {path}")

    def clear_cookies(self):
        self.call("DELETE", self.s("/cookie"))

    def quit(self):
        try:
            self.call("DELETE", self.s(""))
        except SystemExit:
            pass


def settle(d, pred, timeout=20):
    """A click that submits a form returns before the next page is there: wait for it."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            if pred():
                return True
        except SystemExit:
            pass
        time.sleep(0.2)
    return False


def login(d, base, user):
    """A fresh session as `user` (demo password), whoever was logged in."""
    d.clear_cookies()
    d.go(base + "/login")
    d.type(d.find("input[name=user]"), user)
    d.type(d.find("input[name=password]"), f"demo-{user}")
    d.click(d.find("form.login button"))
    # A debug build hashes the password slowly (Argon2), more so while the server checks or
    # reports in the background: wait for the landing page, and say so if it never comes,
    # rather than going on without a session.
    check(settle(d, lambda: "/login" not in d.url(), timeout=90), f"{user} is logged in")


def act(d, button, fields=()):
    """Fills a form's fields on the item page and presses its button."""
    for css, text in fields:
        el = d.find(css)
        d.clear(el)
        d.type(el, text)
    d.click(d.find(f"button#{button}"))


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"  ok: {what}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--purse", required=True)
    ap.add_argument("--data-dir")
    ap.add_argument("--shots", default="target/e2e-shots")
    args = ap.parse_args()
    os.makedirs(args.shots, exist_ok=True)
    tmp = None
    data = args.data_dir
    if not data:
        tmp = tempfile.mkdtemp(prefix="purse-e2e-")
        data = os.path.join(tmp, "data")
    # Idempotent: generates, loads and checks the demo the first time, changes nothing after.
    print(f"preparing the demo in {data}")
    subprocess.run([args.purse, "demo", "--no-serve", "--data-dir", data], check=True,
                   stdout=subprocess.DEVNULL)
    port, dport = free_port(), free_port()
    server = subprocess.Popen([args.purse, "serve", "--data-dir", data, "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    chromedriver = subprocess.Popen([shutil.which("chromedriver") or "/usr/bin/chromedriver", f"--port={dport}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    d = None
    try:
        wait_http(base + "/api/health")
        wait_http(f"http://127.0.0.1:{dport}/status")
        d = Driver(dport)

        print("login → cockpit")
        d.go(base + "/cockpit")
        check("/login" in d.url(), "an anonymous visit is sent to the login page")
        d.shot(f"{args.shots}/01-login.png")
        d.type(d.find("input[name=user]"), "analyst")
        d.type(d.find("input[name=password]"), "demo-analyst")
        d.click(d.find("form.login button"))
        settle(d, lambda: d.url().endswith("/cockpit") and "四本预算执行" in d.source())
        check(d.url().endswith("/cockpit"), "logged in, on the cockpit")
        src = d.source()
        check("一屏纵览" in src and "四本预算执行" in src, "cockpit shows its cards")
        check(src.find("本月要点") != -1 and src.find("本月要点") < src.find("四本预算执行"),
              "the month's highlights (本月要点) head the cockpit")
        # Charts are served beside the page: every one must have loaded as an image.
        loaded = lambda: d.call("POST", d.s("/execute/sync"), {"script":
            "const i=[...document.querySelectorAll('.chart img')];"
            "return [i.length, i.filter(x => x.complete && x.naturalWidth > 0).length]", "args": []})
        settle(d, lambda: loaded()[0] >= 6 and loaded()[0] == loaded()[1])
        n, ok = loaded()
        check(n >= 6 and ok == n, f"cockpit draws its {n} charts ({ok} loaded)")
        d.shot(f"{args.shots}/02-cockpit.png")

        print("English on request")
        d.go(base + "/lang?to=en&next=/cockpit")
        check("The four budgets" in d.source(), "the cockpit in English")
        d.shot(f"{args.shots}/02-cockpit-en.png")
        d.go(base + "/lang?to=zh&next=/cockpit")

        print("drill-down")
        links = [e for e in d.find_all("section.card a") if "dept=" in (d.attr(e, "href") or "")]
        check(links, "the cockpit links departments furthest behind to the drill-down")
        d.click(links[0])
        settle(d, lambda: "dept=" in d.url())
        check("dept=" in d.url(), "department level")
        d.shot(f"{args.shots}/03-drill-dept.png")
        unit = [e for e in d.find_all("table.data a") if "agency=" in (d.attr(e, "href") or "")]
        check(unit, "department lists its budget units")
        d.click(unit[0])
        settle(d, lambda: "agency=" in d.url())
        proj = [e for e in d.find_all("table.data a") if "project=" in (d.attr(e, "href") or "")]
        check(proj, "unit lists its projects")
        d.click(proj[0])
        settle(d, lambda: "源数据行" in d.source())
        src = d.source()
        check("源数据行" in src and "source_row" in src, "project level shows source rows with lineage")
        d.shot(f"{args.shots}/04-drill-rows.png")

        print("acknowledge an alert")
        d.go(base + "/alerts?status=new")
        d.shot(f"{args.shots}/05-alerts.png")
        first = d.find_all("table.data tbody tr td a")
        check(first, "there are new alerts")
        d.click(first[0])
        settle(d, lambda: "/alerts/" in d.url())
        alert_url = d.url()
        d.shot(f"{args.shots}/06-alert-before.png")
        d.click(d.find("button#ack"))
        settle(d, lambda: "已确认" in d.source())
        src = d.source()
        check(d.url() == alert_url and "已确认" in src and "analyst" in src,
              "acknowledged; the audit trail names the analyst")
        d.shot(f"{args.shots}/07-alert-acknowledged.png")

        print("the money trail from an alert")
        d.go(base + "/alerts?rule=duplicate_payment&status=")
        dup = [e for e in d.find_all("table.data tbody tr td a") if "/alerts/" in (d.attr(e, "href") or "")]
        check(dup, "the planted duplicate payment is on the list")
        d.click(dup[0])
        settle(d, lambda: "/alerts/" in d.url() and "资金流向" in d.source())
        d.click(d.find("a#trail"))
        settle(d, lambda: "/trail?" in d.url() and "支付明细" in d.source())
        src = d.source()
        # The planted pair: 45,678.00 paid twice to the same company within two days.
        check("/trail?" in d.url() and "payee=" in d.url() and "支付明细 (2/2)" in src
              and "91,356.00" in src and "45,678.00" in src,
              "the alert's trail shows its two payments, the payee and their 91,356.00 yuan")
        d.shot(f"{args.shots}/07-trail.png")

        print("monthly reports (scheduler catch-up at start-up)")
        t0 = time.time()
        while time.time() - t0 < 300:
            d.go(base + "/reports")
            links = [d.attr(e, "href") for e in d.find_all("table.data a") if (d.attr(e, "href") or "").endswith(".html")]
            if len(links) >= 12:
                break
            time.sleep(2)
        check(len(links) >= 12, f"the scheduler archived a report for each of the 12 demo months ({len(links)})")
        d.shot(f"{args.shots}/08-reports.png")
        for href in sorted(links):
            d.go(href if href.startswith("http") else base + href)
            # A navigation can return before the document is there (seen as an empty source on a
            # loaded machine): wait for it, as after a submitting click.
            settle(d, lambda: "</html>" in d.source())
            src = d.source()
            check("月度预警报告" in src and "<svg" in src, f"{href} opens with its charts")
            d.shot(f"{args.shots}/{href.rsplit('/', 1)[-1].replace('.html', '')}.png")

        print("SQL console as adviser")
        d.go(base + "/login")
        d.type(d.find("input[name=user]"), "adviser")
        d.type(d.find("input[name=password]"), "demo-adviser")
        d.click(d.find("form.login button"))
        settle(d, lambda: d.url().endswith("/cockpit"))
        d.go(base + "/console")
        d.click(d.find("#sqlform button[type=submit]"))
        settle(d, lambda: "sqlstatus" in d.source())
        src = d.source()
        check("sqlstatus" in src and "<svg" in src, "the example query runs and is charted")
        d.shot(f"{args.shots}/09-console.png")
        ta = d.find("textarea[name=sql]")
        d.clear(ta)
        d.type(ta, "DROP TABLE budget_execution")
        d.click(d.find("#sqlform button[type=submit]"))
        settle(d, lambda: "DDL not supported" in d.source())
        check("DDL not supported" in d.source(), "the console refuses DDL")
        d.shot(f"{args.shots}/10-console-refused.png")
        print("the closed loop: committee and unit")
        users = subprocess.run([args.purse, "user", "list", "--data-dir", data], check=True,
                               capture_output=True, text=True).stdout
        unit_name = next(l.split("units ", 1)[1].strip() for l in users.splitlines()
                         if l.startswith("unit "))
        login(d, base, "analyst")
        d.go(base + "/problems")
        check("问题清单与整改清单" in d.source() and "闭环" not in d.url(), "the problem list opens")
        d.shot(f"{args.shots}/11-problems.png")
        for css, text in [("input[name=source_ref]", "审议意见 e2e-1"),
                          ("input[name=source_document]", "关于预算执行情况的审议意见"),
                          ("input[name=title]", "学校维修资金长期结存未用"),
                          ("input[name=unit]", unit_name),
                          ("input[name=requirement]", "说明原因并制定使用计划")]:
            d.type(d.find(css), text)
        d.click(d.find("button#add"))
        settle(d, lambda: "/problems/" in d.url())
        item = d.url()
        check("学校维修资金长期结存未用" in d.source() and "待交办" in d.source(), "entered: on the list, to assign")
        act(d, "assign")
        settle(d, lambda: "已交办" in d.source())
        check("已交办" in d.source(), "assigned (交办) to " + unit_name)

        login(d, base, "unit")
        check(d.url().endswith("/problems"), "the unit lands on its problem list")
        src = d.source()
        check("学校维修资金长期结存未用" in src and "一屏纵览" not in src, "it sees the item and no cockpit")
        d.shot(f"{args.shots}/12-unit-list.png")
        d.go(item)
        act(d, "respond", [("textarea[name=text]", "已制定资金使用计划")])
        settle(d, lambda: "已反馈" in d.source())
        evidence = os.path.join(tmp or data, "e2e-使用计划.txt")
        with open(evidence, "w", encoding="utf-8") as f:
            f.write("资金使用计划：2026年一季度完成维修。")
        d.call("POST", d.s(f"/element/{d.find('input[type=file][name=file]')}/value"), {"text": evidence})
        d.click(d.find("button#evidence"))
        settle(d, lambda: "e2e-使用计划.txt" in d.source())
        check("已反馈" in d.source() and "e2e-使用计划.txt" in d.source(), "the unit answered with its evidence")
        d.shot(f"{args.shots}/13-unit-responded.png")

        login(d, base, "analyst")
        d.go(item)
        act(d, "send_back", [("input[name=reason]", "缺少资金使用台账")])
        settle(d, lambda: "退回" in d.source() and "缺少资金使用台账" in d.source())
        check("缺少资金使用台账" in d.source(), "sent back (退回) with the reason")

        login(d, base, "unit")
        d.go(item)
        check("缺少资金使用台账" in d.source(), "the unit reads why")
        act(d, "respond", [("textarea[name=text]", "已补充资金使用台账")])
        settle(d, lambda: "已补充资金使用台账" in d.source())

        login(d, base, "analyst")
        d.go(item)
        act(d, "accept", [("input[name=note]", "同意销号")])
        settle(d, lambda: "已销号" in d.source())
        check("已销号" in d.source(), "accepted (销号)")
        opts = [o for o in d.find_all("select[name=rating] option") if d.attr(o, "value") == "basically"]
        d.click(opts[0])
        act(d, "rate")
        # The rating's line in the trail, in Chinese: the form's option names it too (not in a
        # cell), so the wait is for the trail's cell.
        settle(d, lambda: "<td>基本满意</td>" in d.source())
        check("<td>满意度测评</td>" in d.source() and "<td>基本满意</td>" in d.source(), "rated 基本满意")
        d.shot(f"{args.shots}/14-closed-rated.png")
        d.go(base + "/cockpit")
        check("闭环监督" in d.source() and "满意度 100.0%" in d.source(), "the cockpit's loop card counts the rating")
        d.go(base + "/problems/notice?unit=" + urllib.parse.quote(unit_name))
        check("督办单" in d.source() and "学校维修资金长期结存未用" not in d.source(),
              "the unit's notice lists what is still open (not the closed item)")
        d.shot(f"{args.shots}/15-notice.png")

        print("foresight: projection, backtest, data quality")
        login(d, base, "analyst")
        d.go(base + "/cockpit?period=2025-07")
        src = d.source()
        check("年终执行预测" in src and "示范市教育第5学校" in src,
              "the cockpit projects the year's end and names the units projected below 85 %")
        d.shot(f"{args.shots}/16-projection.png")
        d.go(base + "/drill?period=2025-07&region=990100")
        check("按目前进度预计年末执行率" in d.source(), "the drill-down states where the year will end")
        d.shot(f"{args.shots}/17-drill-projection.png")
        d.go(base + "/rules")
        src = d.source()
        check("监督框架" in src and "重大政策贯彻落实" in src and "0 个重点尚无规则" in src
              and "社会保险基金预算 4" in src,
              "the rules page draws the supervision framework: every focus and all four budgets served")
        d.shot(f"{args.shots}/17b-framework.png")
        d.go(base + "/rules/execution_lag")
        el = d.find("input[name=p_yellow_pp]")
        d.clear(el)
        d.type(el, "5")
        d.click(d.find("button#run-backtest"))
        settle(d, lambda: "backtest-result" in d.source(), timeout=120)
        src = d.source()
        check("backtest-result" in src and "示范市教育第19学校" in src,
              "a backtest with yellow_pp = 5 lists a finding the change would add")
        d.shot(f"{args.shots}/18-backtest.png")
        d.go(base + "/data")
        links = [e for e in d.find_all("a") if (d.attr(e, "href") or "").endswith("/data/quality")]
        check(links, "the Data page links the scorecard")
        d.click(links[0])
        settle(d, lambda: "数据质量评分" in d.source())
        check("数据质量评分" in d.source() and "q-budget_execution" in d.source(), "the scorecard grades each source")
        d.shot(f"{args.shots}/19-quality.png")

        print("the annual review: an adviser reads the review page, comments and endorses, the committee adopts")
        login(d, base, "adviser")
        d.go(base + "/cockpit")
        nav = [e for e in d.find_all("header nav a") if (d.attr(e, "href") or "") == "/review"]
        check(nav, "the navigation leads to 预算审查")
        d.click(nav[0])
        settle(d, lambda: "2026年预算审查" in d.source())
        src = d.source()
        check("交通运输局" in src and "本年申请" in src and "上年执行率" in src,
              "the review page lists each department's ask beside last year's budget and spending")
        d.shot(f"{args.shots}/20-review.png")
        dept = [e for e in d.find_all("table.review a") if "交通运输局" in (d.text(e) or "")]
        check(dept, "a department opens onto its projects")
        d.click(dept[0])
        settle(d, lambda: "城市智慧停车系统建设" in d.source())
        rows = [e for e in d.find_all("table.projects tr") if "城市智慧停车系统建设" in (d.text(e) or "")]
        check(rows, "the project asked for twice is listed with its ask")
        links = [e for e in d.find_all("table.findings a") if "/alerts/" in (d.attr(e, "href") or "")]
        check(links, "the department's findings link to their alerts")
        d.shot(f"{args.shots}/21-review-dept.png")
        d.click(links[0])
        settle(d, lambda: "/alerts/" in d.url() and "疑似重复申报" in d.source())
        review_url = d.url()
        act(d, "comment", [("input[name=text]", "赞同：两个停车项目建设内容重合，建议合并申报")])
        settle(d, lambda: "赞同：两个停车项目建设内容重合" in d.source())
        check("赞同：两个停车项目建设内容重合" in d.source(), "the adviser's comment is in the audit trail")
        d.go(review_url)
        settle(d, lambda: "button" in d.source() and "专家附议" in d.source())
        forms = d.find_all("form input[name=action][value=endorse]")
        check(forms, "an adviser may endorse the finding")
        d.click(d.find("button#endorse"))
        settle(d, lambda: "专家附议：" in d.source() and "<b>adviser</b>" in d.source())
        check("<b>adviser</b>" in d.source(), "the endorsement is named on the finding")
        login(d, base, "analyst")
        d.go(review_url)
        settle(d, lambda: "采纳为审议意见" in d.source())
        check("button id=\"endorse\"" not in d.source(), "staff do not endorse")
        d.call("POST", d.s("/execute/sync"), {"script":
            "document.querySelector(\"form[action$='/adopt'] input[name=due]\").value = '2026-03-31'", "args": []})
        d.click(d.find("button#adopt"))
        settle(d, lambda: "/problems/" in d.url())
        src = d.source()
        check("/problems/" in d.url() and "审议意见" in src and "疑似重复申报项目" in src and "2026-03-31" in src,
              "adopted: the finding is on the problem list as a deliberation opinion (审议意见), due 2026-03-31")
        d.shot(f"{args.shots}/22-review-adopted.png")
        d.go(base + "/problems")
        check("疑似重复申报项目" in d.source(), "the problem list shows the adopted opinion")
        d.go(review_url)
        check("已采纳为审议意见" in d.source(), "the alert links to the item it was adopted as")
        # The draft report from the review page, as Word: read back by python-docx, an independent
        # reader of the format.
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in d.call("GET", d.s("/cookie")))
        req = urllib.request.Request(base + "/review/report?year=2026&format=docx", headers={"Cookie": cookies})
        with urllib.request.urlopen(req, timeout=60) as r:
            blob = r.read()
        import io
        import docx
        doc = docx.Document(io.BytesIO(blob))
        text = "\n".join(p.text for p in doc.paragraphs)
        check(doc.paragraphs[0].style.name == "Title" and "初步审查意见" in doc.paragraphs[0].text
              and "疑似重复申报项目" in text and "［专家附议：adviser］" in text,
              "the review page's DOCX opens in python-docx: title, findings, the endorsement")

        print("问数: three questions from the cockpit's box")
        login(d, base, "analyst")
        d.go(base + "/cockpit")
        box = d.find("input#ask-q")
        d.type(box, "执行率最低的五个部门")
        d.click(d.find("button#ask-go"))
        settle(d, lambda: "ask-sentence" in d.source())
        src = d.source()
        rows = d.find_all("table.ask-rows tbody tr")
        check("/ask" in d.url() and "最低的5个部门" in src and "ORDER BY" in src and "LIMIT 5" in src
              and len(rows) == 5 and "<svg" in src,
              "a ranking: the sentence, the SQL, five rows and a chart")
        d.shot(f"{args.shots}/23-ask-ranking.png")
        box = d.find("input#ask-q")
        d.clear(box)
        d.type(box, "今年累计支出逐月走势")
        d.click(d.find("button#ask-go"))
        settle(d, lambda: "逐月" in d.url() or "%E9%80%90" in d.url())
        src = d.source()
        check("BETWEEN" in src and len(d.find_all("table.ask-rows tbody tr")) == 12 and "<svg" in src,
              "a time word: twelve months of this year, with their line")
        d.shot(f"{args.shots}/24-ask-trend.png")
        box = d.find("input#ask-q")
        d.clear(box)
        d.type(box, "第5中心执行率")
        d.click(d.find("button#ask-go"))
        settle(d, lambda: "ask-choices" in d.source())
        choices = d.find_all("ul#ask-choices a")
        check(len(choices) > 1 and "可能指" in d.source() and "ask-sql" not in d.source(),
              "an ambiguous name: a choice, not a guess")
        d.shot(f"{args.shots}/25-ask-choice.png")
        d.click(choices[0])
        settle(d, lambda: "ask-sql" in d.source())
        check("agency_name = " in d.source(), "the chosen unit is answered with its SQL")

        print("a bounded viewer")
        login(d, base, "district")
        src = d.source()
        check(d.url().endswith("/cockpit") and "城东区" in src and "北山县" not in src,
              "the district's cockpit shows its region only")
        d.go(base + "/data")
        check("403" in d.source(), "the Data page is refused to it")
        print("e2e passed")
    finally:
        if d:
            d.quit()
        chromedriver.terminate()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
