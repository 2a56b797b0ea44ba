"""The web dashboard in headless Chromium (run by scripts/dashboard-test.sh).

The script starts redis-server, offload-api with a bearer token and a worker, and creates
the data: completed and active jobs in `default`, scheduled/cancelled/dead ones in
`reports`, and two dead jobs plus five pending ones in the paused queue `mail`.
"""

import json
import os
import shutil
import struct
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["DASHBOARD_URL"]
TOKEN = os.environ["DASHBOARD_TOKEN"]
REDIS_PORT = os.environ["DASHBOARD_REDIS_PORT"]
RETRY_JOB = os.environ["DASHBOARD_RETRY_JOB"]
SCREENSHOT = os.environ.get("DASHBOARD_SCREENSHOT", "docs/images/dashboard.png")
#: A second API, without a token, on a Redis Cluster: its queues show their node.
CLUSTER_URL = os.environ["DASHBOARD_CLUSTER_URL"]
# Optional: a directory for screenshots of the other views (to look at them while working on the page).
SHOTS_DIR = os.environ.get("DASHBOARD_SHOTS_DIR")
STATES = ["scheduled", "pending", "active", "completed", "dead", "cancelled"]


def http(method, path, token=TOKEN, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(URL + path, method=method, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def api(method, path, body=None):
    status, _, body = http(method, path, body=body)
    if status >= 400:
        raise AssertionError(f"{method} {path} -> {status}: {body[:300]!r}")
    return json.loads(body)


def redis(*args):
    out = subprocess.run(["redis-cli", "-p", REDIS_PORT, *args], check=True, capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


def pending_ids(queue):
    """A queue's pending job ids: one list per priority level (see OffloadKeys)."""
    levels = [l for l in redis("ZRANGE", f"offload:{{{queue}}}:pending", "0", "-1").splitlines() if l]
    return [i for level in levels
            for i in redis("LRANGE", f"offload:{{{queue}}}:pending:{level}", "0", "-1").splitlines() if i]


def find_binary(*names):
    for name in names:
        path = shutil.which(name) or (name if os.path.exists(name) else None)
        if path:
            return path
    raise unittest.SkipTest(f"none of {names} is installed")


#: How long a condition may take to hold: only a hang's bound, a loaded machine renders slowly.
WAIT_SECONDS = 30


def eventually(check, timeout=WAIT_SECONDS, interval=0.25, message="condition"):
    """Retries `check` (which raises AssertionError or returns a falsy value) until it passes."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            result = check()
            if result or result is None:
                return result
            last = AssertionError(f"{message}: got {result!r}")
        except (AssertionError, NoSuchElementException, StaleElementReferenceException) as error:
            last = error
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {message}: {last}")
        time.sleep(interval)


class DashboardTest(unittest.TestCase):
    driver = None

    @classmethod
    def setUpClass(cls):
        options = Options()
        options.binary_location = find_binary("chromium", "chromium-browser", "/usr/lib/chromium/chromium")
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1280,900", "--force-device-scale-factor=1", "--hide-scrollbars",
                         "--disable-extensions", "--no-first-run", "--lang=en-US", "--force-color-profile=srgb"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=find_binary("chromedriver", "/usr/lib/chromium/chromedriver"))
        cls.driver = webdriver.Chrome(options=options, service=service)
        cls.driver.set_page_load_timeout(60)

    @classmethod
    def tearDownClass(cls):
        if cls.driver:
            cls.driver.quit()

    def wait(self, timeout=WAIT_SECONDS):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1)

    def css(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def shot(self, name):
        if SHOTS_DIR:
            os.makedirs(SHOTS_DIR, exist_ok=True)
            time.sleep(0.3)
            self.driver.save_screenshot(os.path.join(SHOTS_DIR, name + ".png"))

    def browser_errors(self):
        try:
            logs = self.driver.get_log("browser")
        except WebDriverException:
            return []
        # The 401s before signing in are expected; anything else is a bug in the page.
        return [entry["message"] for entry in logs
                if entry["level"] == "SEVERE" and "401" not in entry["message"]]

    # -- 1. Assets open, data closed ---------------------------------------------------------

    def test_1_assets_are_served_without_token_but_data_needs_it(self):
        status, headers, body = http("GET", "/", token=None)
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers["Content-Type"])
        self.assertIn(b'<meta name="viewport"', body)
        self.assertNotIn(b"https://", body, "the page must not load anything from the network")
        for path, kind in (("/dashboard/app.js", "javascript"), ("/dashboard/app.css", "text/css")):
            status, headers, body = http("GET", path, token=None)
            self.assertEqual(status, 200, path)
            self.assertIn(kind, headers["Content-Type"])
            self.assertNotIn(b"https://", body, path)
        for path in ("/v1/queues", "/v1/workers", "/v1/queues/default/throughput", "/dashboard/other.js"):
            status, _, _ = http("GET", path, token=None)
            self.assertEqual(status, 401, path)

    # -- 2. Sign in once -----------------------------------------------------------------------

    def test_2_asks_for_the_token_once(self):
        self.driver.get(URL + "/")
        token_input = self.wait().until(lambda d: d.find_element(By.ID, "token-input"))
        token_input.send_keys("not-the-token")
        self.css("#token-submit").click()
        self.wait().until(lambda d: "not accepted" in d.find_element(By.ID, "token-error").text)
        token_input.clear()
        token_input.send_keys(TOKEN)
        self.css("#token-submit").click()
        self.wait().until(lambda d: not d.find_elements(By.ID, "login"))
        self.assertEqual(self.driver.execute_script("return localStorage.getItem('offload.apiToken')"), TOKEN)
        self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#queues-table tr[data-queue='mail']"))
        # A reload keeps the token: no second prompt.
        self.driver.refresh()
        self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#queues-table tr[data-queue='mail']"))
        self.assertFalse(self.driver.find_elements(By.ID, "login"))

    # -- 3. Overview = what Redis holds -------------------------------------------------------

    def ui_counts(self):
        """The queues table as shown, read in one script call so a poll cannot interleave."""
        return self.driver.execute_script("""
            var rows = {};
            document.querySelectorAll('#queues-table tbody tr[data-queue]').forEach(function (row) {
              var counts = {}, text = {};
              row.querySelectorAll('td[data-state]').forEach(function (cell) {
                counts[cell.dataset.state] = Number(cell.dataset.count);
                text[cell.dataset.state] = cell.textContent.trim();
              });
              rows[row.dataset.queue] = { counts: counts, text: text, paused: !!row.querySelector('.queue-paused') };
            });
            return rows;
        """)

    def test_3_overview_shows_the_counts_redis_holds(self):
        self.driver.get(URL + "/#/")

        def matches():
            queues = {q["name"]: q for q in api("GET", "/v1/queues")["queues"]}
            ui = self.ui_counts()
            self.assertEqual(sorted(ui), sorted(queues))
            for name, info in queues.items():
                self.assertEqual(ui[name]["counts"], info["counts"], name)
                self.assertEqual(ui[name]["paused"], info["paused"], name)
                for state in STATES:  # the number shown is the number held
                    shown = ui[name]["text"][state].replace(",", "")
                    self.assertEqual(int(shown), info["counts"][state], f"{name}/{state}")
            return queues

        queues = eventually(matches, message="the overview counts to match GET /v1/queues")
        self.assertEqual(sorted(queues), ["default", "mail", "reports"])
        # ... and GET /v1/queues is what Redis holds (states that do not move by themselves).
        for name in queues:
            for state in ("scheduled", "completed", "dead", "cancelled"):
                self.assertEqual(int(redis("ZCARD", f"offload:{{{name}}}:{state}")), self.ui_counts()[name]["counts"][state],
                                 f"{name}/{state}")
        mail = self.ui_counts()["mail"]
        self.assertTrue(mail["paused"])
        self.assertEqual(mail["counts"]["pending"], len(pending_ids("mail")))
        self.assertEqual(mail["counts"]["pending"], 5)
        self.assertEqual(mail["counts"]["dead"], 2)
        self.assertEqual(self.ui_counts()["default"]["counts"]["completed"], 30)
        self.assertEqual(redis("EXISTS", "offload:{mail}:paused"), "1")

        # Summary tiles add up the queues.
        totals = {s: sum(q["counts"][s] for q in queues.values()) for s in STATES}
        self.assertEqual(self.css("#tile-dead .value").text, str(totals["dead"]))
        self.assertEqual(self.css("#tile-completed .value").text, str(totals["completed"]))

        # The chart draws the per-minute stats hashes, summed over the queues.
        def stored_minutes():
            per_queue = [api("GET", f"/v1/queues/{name}/throughput?minutes=15")["minutes"] for name in queues]
            self.assertTrue(all(len(minutes) == 15 for minutes in per_queue))
            expected = {}
            for minutes in per_queue:
                for point in minutes:
                    entry = expected.setdefault(point["minute"], [0, 0])
                    entry[0] += point["processed"]
                    entry[1] += point["failed"]
            return per_queue, expected
        per_queue, _ = stored_minutes()
        some_minute = per_queue[0][5]["minute"]
        stored = redis("HMGET", f"offload:{{default}}:stats:{some_minute}", "processed", "failed").split()
        self.assertEqual([int(x) for x in stored], [per_queue[0][5]["processed"], per_queue[0][5]["failed"]])

        def chart_matches():
            # Read again on each try: a minute may roll over between the page's last
            # refresh and this read, and then the two windows differ by a minute.
            _, expected = stored_minutes()
            bars = self.driver.find_elements(By.CSS_SELECTOR, "#throughput-svg g[data-minute]")
            self.assertEqual(len(bars), 15)
            for bar in bars[:-1]:  # the current minute may still be filling
                minute = int(bar.get_attribute("data-minute"))
                self.assertEqual([int(bar.get_attribute("data-processed")), int(bar.get_attribute("data-failed"))],
                                 expected.get(minute), f"minute {minute}")
        eventually(chart_matches, message="the chart to show the stored per-minute stats")

        # Workers and their current jobs.
        workers = api("GET", "/v1/workers")["workers"]
        self.assertTrue(workers)
        eventually(lambda: self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#workers-table [data-worker]")), len(workers)),
                   message="the workers table")
        self.assertEqual(self.browser_errors(), [])

    # -- 4. Screenshot ---------------------------------------------------------------------------

    def test_4_screenshot_of_the_overview(self):
        self.driver.set_window_size(1280, 900)
        self.driver.get(URL + "/#/")
        self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#throughput-svg g[data-minute]"))
        self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#workers-table .chip"))
        time.sleep(0.5)
        os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
        png = self.driver.get_screenshot_as_png()
        width, height = struct.unpack(">II", png[16:24])
        if (width, height) != (1280, 900):  # the window includes no browser chrome in headless mode, but be sure
            inner = self.driver.execute_script("return [window.innerWidth, window.innerHeight]")
            self.driver.set_window_size(1280 + 1280 - inner[0], 900 + 900 - inner[1])
            time.sleep(0.5)
            png = self.driver.get_screenshot_as_png()
            width, height = struct.unpack(">II", png[16:24])
        self.assertEqual((width, height), (1280, 900))
        with open(SCREENSHOT, "wb") as file:
            file.write(png)

    # -- 5. Retry a dead job from its list ------------------------------------------------------

    def test_5_retry_button_moves_a_dead_job_back_to_pending(self):
        self.assertEqual(api("GET", f"/v1/jobs/{RETRY_JOB}")["state"], "dead")
        self.driver.get(URL + "/#/")
        link = self.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, "#queues-table tr[data-queue='mail'] td[data-state='dead'] a"))
        link.click()
        self.wait().until(lambda d: "state=dead" in d.current_url and "queue=mail" in d.current_url)
        selector = f"#jobs-table tr[data-job-id='{RETRY_JOB}'] button.btn-retry"

        def click_retry():
            self.driver.find_element(By.CSS_SELECTOR, selector).click()
            return True
        eventually(click_retry, message="the Retry button")
        # The paused queue keeps it pending, so the state is stable to check.
        eventually(lambda: self.assertEqual(api("GET", f"/v1/jobs/{RETRY_JOB}")["state"], "pending"),
                   message="the job to be pending again")
        self.assertEqual(redis("ZSCORE", "offload:{mail}:dead", RETRY_JOB), "")
        self.assertIn(RETRY_JOB, pending_ids("mail"))
        # The list follows: the job leaves the dead list, the counts update.
        self.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"#jobs-table tr[data-job-id='{RETRY_JOB}']"))
        self.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, ".segments a[data-state='pending'] .n").text == "6")
        self.assertTrue(self.driver.find_element(By.CSS_SELECTOR, ".toast").text)

    # -- 6. Job detail -------------------------------------------------------------------------

    def test_6_job_detail_and_search(self):
        dead = api("GET", "/v1/jobs?queue=mail&state=dead")["jobs"]
        self.assertEqual(len(dead), 1)
        job = dead[0]
        self.driver.get(URL + "/#/jobs?queue=mail&state=dead")
        search = self.wait().until(lambda d: d.find_element(By.ID, "job-search"))
        search.send_keys(job["id"])
        self.css("#job-search-form button").click()
        self.wait().until(lambda d: d.find_elements(By.ID, "job-id") and d.find_element(By.ID, "job-id").text == job["id"])
        self.assertIn(job["error"]["message"], self.css("#job-error").text)
        self.assertIn("SMTP", self.css("#job-payload").text)
        self.assertIn("Dead", self.css("#job-state").text)
        self.assertIn("test.fail", self.css(".page-head h1").text)
        timeline = self.css("#job-timeline").text
        for step in ("Created", "Started", "Dead"):
            self.assertIn(step, timeline)
        self.shot("job-dead")

        # An active job shows its progress (streamed).
        active = api("GET", "/v1/jobs?queue=default&state=active")["jobs"]
        self.assertTrue(active)
        self.driver.get(URL + f"/#/job/{active[0]['id']}")
        self.wait().until(lambda d: d.find_elements(By.ID, "job-progress"))
        first = int(self.css("#job-progress").text.rstrip("%"))
        self.wait().until(lambda d: int(d.find_element(By.ID, "job-progress").text.rstrip("%")) > first)
        self.shot("job-active")

        # Pagination walks a list with next_cursor.
        self.driver.get(URL + "/#/jobs?queue=default&state=completed")
        rows = lambda d: d.find_elements(By.CSS_SELECTOR, "#jobs-table tbody tr[data-job-id]")
        self.wait().until(lambda d: len(rows(d)) == 25)
        self.shot("jobs-completed")
        first_page = [r.get_attribute("data-job-id") for r in rows(self.driver)]
        self.assertFalse(self.css("#page-prev").is_enabled())
        self.css("#page-next").click()
        self.wait().until(lambda d: len(rows(d)) == 5)
        second_page = [r.get_attribute("data-job-id") for r in rows(self.driver)]
        self.assertFalse(set(first_page) & set(second_page))
        self.assertFalse(self.css("#page-next").is_enabled())
        self.assertIn("26–30 of 30", self.css(".pager").text)
        self.css("#page-prev").click()
        self.wait().until(lambda d: len(rows(d)) == 25)
        self.driver.get(URL + "/#/jobs?queue=reports&state=scheduled")
        self.wait().until(lambda d: len(rows(d)) == 3)
        self.shot("jobs-scheduled")
        self.driver.get(URL + "/#/workers")
        self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#workers-table tbody tr"))
        self.shot("workers")
        self.assertEqual(self.browser_errors(), [])

    # -- 7. A phone ----------------------------------------------------------------------------

    def test_7_readable_on_a_phone(self):
        self.driver.set_window_size(390, 844)
        try:
            self.driver.get(URL + "/#/")
            self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#queues-table tr[data-queue='mail']"))
            self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#throughput-svg g[data-minute]"))
            # Nothing but the tables' own scroll boxes is wider than the screen.
            overflow = self.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            self.assertLessEqual(overflow, 0)
            self.shot("phone-overview")
            self.driver.get(URL + "/#/jobs?queue=mail&state=dead")
            self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#jobs-table tbody tr"))
            self.assertLessEqual(self.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth"), 0)
            self.shot("phone-jobs")
        finally:
            self.driver.set_window_size(1280, 900)

    # -- 8. Removing an empty queue ------------------------------------------------------------

    def test_8_an_empty_queue_can_be_removed(self):
        api("PUT", "/v1/queues/scratch/settings", {})  # a queue with settings and no job
        self.driver.get(URL + "/#/")
        button = self.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, "#queues-table tr[data-queue='scratch'] button.btn-remove"))
        # Queues holding jobs offer no Remove.
        self.assertFalse(self.driver.find_elements(By.CSS_SELECTOR, "#queues-table tr[data-queue='mail'] button.btn-remove"))
        button.click()
        self.wait().until(lambda d: d.find_element(By.ID, "confirm-ok")).click()
        self.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#queues-table tr[data-queue='scratch']"))
        self.assertNotIn("scratch", [q["name"] for q in api("GET", "/v1/queues")["queues"]])
        self.assertEqual(redis("SISMEMBER", "offload:queues", "scratch"), "0")
        self.assertEqual(self.browser_errors(), [])

    # -- 9. Schedules --------------------------------------------------------------------------

    def test_9_schedules_are_listed_and_can_be_removed(self):
        self.driver.get(URL + "/#/")
        self.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, "#queues-table tr[data-queue='mail']"))
        self.assertFalse(self.css("#schedules").is_displayed(), "no schedule, no card")
        api("PUT", "/v1/schedules/nightly", {"cron": "0 3 * * *", "type": "test.noop", "queue": "reports"})
        row = self.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, "#schedules-table tr[data-schedule='nightly']"))
        self.assertIn("0 3 * * * (UTC)", row.text)
        self.assertIn("test.noop", row.text)
        self.assertRegex(row.find_element(By.CSS_SELECTOR, "td.num").text, r"^in ")
        row.find_element(By.CSS_SELECTOR, "button.btn-unschedule").click()
        self.wait().until(lambda d: d.find_element(By.ID, "confirm-ok")).click()
        self.wait().until(lambda d: not d.find_element(By.ID, "schedules").is_displayed())
        self.assertEqual(api("GET", "/v1/schedules")["schedules"], [])
        self.assertEqual(self.browser_errors(), [])



    # -- 10. On a Redis Cluster each queue shows its node ----------------------------------

    def test_10_on_a_cluster_each_queue_shows_the_node_that_holds_it(self):
        with urllib.request.urlopen(CLUSTER_URL + "/v1/queues", timeout=10) as response:
            nodes = {q["name"]: q["node"] for q in json.loads(response.read())["queues"]}
        self.assertEqual(len(nodes), 5, nodes)
        self.assertGreater(len(set(nodes.values())), 1, "five queues spread over the primaries")
        self.driver.get(CLUSTER_URL + "/")

        def badges():
            shown = self.driver.execute_script("""
                var out = {};
                document.querySelectorAll('#queues-table tbody tr[data-queue]').forEach(function (row) {
                  var badge = row.querySelector('.queue-node');
                  out[row.getAttribute('data-queue')] = badge ? badge.textContent : null;
                });
                return out;""")
            self.assertEqual(shown, nodes)
        eventually(badges, message="a node badge per queue, as the API says")
        self.assertEqual(self.browser_errors(), [])

if __name__ == "__main__":
    unittest.main(verbosity=2)
