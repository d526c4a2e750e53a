"""The emulators themselves, spoken to with raw HTTP: protocol answers, dedup
under concurrency, persistence, fault mechanics, control endpoints, CLI."""

import concurrent.futures
import json
import os
import signal
import subprocess
import sys

import pytest
import requests
from fiscal_connector.backends.atol_online import render_document
from fiscal_connector.backends.atol_web import render_task
from fiscal_connector.emulators import PUBLIC_TEST_ACCOUNT, EmulatorServer
from fiscal_connector.emulators.common import registration_number
from fixtures_emulators import receipt_for_total

TIMEOUT = 5


def post_web(server, key, task=None, **kwargs):
    body = {"uuid": key, "request": [task or render_task(receipt_for_total())]}
    return requests.post(f"{server.url}/api/v2/requests", json=body, timeout=TIMEOUT, **kwargs)


def online_token(server):
    answer = requests.post(f"{server.url}getToken", timeout=TIMEOUT, json={
        "login": PUBLIC_TEST_ACCOUNT["login"], "pass": PUBLIC_TEST_ACCOUNT["password"]})
    return answer.json()["token"]


def post_online(server, key, token, **changes):
    body = render_document(key, receipt_for_total(**changes))
    return requests.post(f"{server.url}{PUBLIC_TEST_ACCOUNT['group_code']}/sell", json=body,
                         headers={"Token": token}, timeout=TIMEOUT)


def test_web_server_answers_like_the_protocol(atol_web_emulator):
    server = atol_web_emulator
    first = post_web(server, "w-1")
    assert (first.status_code, first.content) == (201, b"")
    again = post_web(server, "w-1")
    assert again.status_code == 409
    assert server.report()["changed_resends"] == 0
    assert again.json()["error"]["description"] == "a task with this UUID already exists"
    results = requests.get(f"{server.url}/api/v2/requests/w-1", timeout=TIMEOUT).json()
    params = results["results"][0]["result"]["fiscalParams"]
    assert results["results"][0]["status"] == "ready" and params["total"] == 12499.98
    assert requests.get(f"{server.url}/api/v2/requests/none", timeout=TIMEOUT).status_code == 404
    assert requests.delete(f"{server.url}/api/v2/requests/w-1", timeout=TIMEOUT).status_code == 409
    assert requests.delete(f"{server.url}/api/v2/requests/none",
                           timeout=TIMEOUT).status_code == 404
    two_fiscal = {"uuid": "w-2", "request": [render_task(receipt_for_total())] * 2}
    answer = requests.post(f"{server.url}/api/v2/requests", json=two_fiscal, timeout=TIMEOUT)
    assert answer.status_code == 400 and "one fiscal task" in answer.json()["error"]["description"]
    assert requests.post(f"{server.url}/api/v2/requests", data=b"{", timeout=TIMEOUT,
                         headers={"Content-Type": "application/json"}).status_code == 400
    short = render_task(receipt_for_total())
    short["payments"][0]["sum"] = 1
    assert post_web(server, "w-3", short).status_code == 201
    failed = requests.get(f"{server.url}/api/v2/requests/w-3", timeout=TIMEOUT).json()
    assert failed["results"][0]["status"] == "error"
    assert failed["results"][0]["error"]["code"] == 66
    assert server.documents() == {"w-1": 1, "w-3": 0}


def test_atol_online_answers_like_the_protocol(atol_online_emulator):
    server = atol_online_emulator
    group = PUBLIC_TEST_ACCOUNT["group_code"]
    missing = requests.post(f"{server.url}{group}/sell", json={}, timeout=TIMEOUT)
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, 10)
    bad = requests.post(f"{server.url}{group}/sell", json={}, headers={"Token": "x"},
                        timeout=TIMEOUT)
    assert bad.json()["error"]["code"] == 11
    wrong = requests.post(f"{server.url}getToken", json={"login": "a", "pass": "b"},
                          timeout=TIMEOUT)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, 12)
    token = online_token(server)
    first = post_online(server, "o-1", token)
    assert first.status_code == 200 and first.json()["status"] == "wait"
    again = post_online(server, "o-1", token)
    assert (again.status_code, again.json()["error"]["code"]) == (400, 33)
    assert again.json()["uuid"] == first.json()["uuid"]
    assert server.report()["changed_resends"] == 0
    other = post_online(server, "o-1", token, total="12499.98", cashier={"name": "Other"})
    assert other.json()["error"]["code"] == 33  # still the first document, noted as changed
    assert server.report()["changed_resends"] == 1
    text = requests.post(f"{server.url}{group}/sell", data=b"{}", timeout=TIMEOUT,
                         headers={"Token": token, "Content-Type": "text/plain"})
    assert text.json()["error"]["code"] == 41
    report = requests.get(f"{server.url}{group}/report/{first.json()['uuid']}",
                          headers={"Token": token}, timeout=TIMEOUT).json()
    assert report["status"] == "done" and report["external_id"] == "o-1"
    assert isinstance(report["payload"]["fiscal_document_attribute"], int)
    unknown = requests.get(f"{server.url}{group}/report/nope", headers={"Token": token},
                           timeout=TIMEOUT)
    assert unknown.json()["error"]["code"] == 30
    assert server.documents() == {"o-1": 1}


@pytest.mark.parametrize("kind", ["atol_web", "atol_online"])
def test_concurrent_posts_of_one_key_make_one_document(emulator_factory, kind):
    server = emulator_factory(kind, latency_ms=20)
    token = online_token(server) if kind == "atol_online" else None

    def send(_):
        if token:
            return post_online(server, "same-key", token).status_code
        return post_web(server, "same-key").status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(send, range(16)))
    accepted = 201 if kind == "atol_web" else 200
    duplicate = 409 if kind == "atol_web" else 400
    assert statuses == [accepted] + [duplicate] * 15
    assert server.documents() == {"same-key": 1}
    assert server.report()["documents"][0]["posts"] == 16


def test_register_numbers_are_consistent_and_survive_restart(atol_web_emulator):
    server = atol_web_emulator
    for index in range(3):
        post_web(server, f"n-{index}")
    before = server.report()
    server.restart()
    post_web(server, "n-3")
    after = server.report()
    assert after["register"]["fn"] == before["register"]["fn"]
    numbers = [doc["fd_number"] for doc in after["documents"]]
    assert numbers == [2, 3, 4, 5]  # FD 1: the shift-opening report
    assert [doc["receipt_number"] for doc in after["documents"]] == [1, 2, 3, 4]
    assert len({doc["fiscal_sign"] for doc in after["documents"]}) == 4
    assert all(0 < int(doc["fiscal_sign"]) < 2**32 for doc in after["documents"])
    assert len(after["register"]["rnm"]) == 16 and after["register"]["rnm"].isdigit()


def test_registration_number_check_digits():
    # CRC16-CCITT over ordinal(10) + INN(12) + serial(20): changing any part changes it
    base = registration_number(1, "5544332219", "00106304241645")
    assert len(base) == 16 and base.startswith("0000000001")
    assert registration_number(1, "5544332219", "00106304241646") != base
    assert registration_number(2, "5544332219", "00106304241645")[10:] != base[10:]


def test_reset_and_lost_faults_differ_in_what_is_stored(atol_web_emulator):
    server = atol_web_emulator
    server.set_faults(reset=1)
    with pytest.raises(requests.ConnectionError):
        post_web(server, "f-1")
    assert server.documents() == {}
    server.set_faults(lost=1)
    with pytest.raises(requests.ConnectionError):
        post_web(server, "f-1")
    assert server.documents() == {"f-1": 1}
    server.set_faults(malformed=1)
    answer = post_web(server, "f-2")
    assert answer.status_code == 200 and not answer.content.startswith(b"{")
    assert server.documents() == {"f-1": 1, "f-2": 1}
    server.set_faults(error_5xx=2)
    assert post_web(server, "f-3").status_code == 503
    assert requests.get(f"{server.url}/api/v2/requests/f-1", timeout=TIMEOUT).status_code == 503
    assert server.documents() == {"f-1": 1, "f-2": 1}


def test_control_endpoint_refuses_unknown_faults(atol_web_emulator):
    answer = requests.post(f"{atol_web_emulator.control_url}/faults", json={"explode": 1},
                           timeout=TIMEOUT)
    assert answer.status_code == 400 and "explode" in answer.json()["error"]
    assert requests.get(f"{atol_web_emulator.control_url}/faults",
                        timeout=TIMEOUT).json()["latency_ms"] == 0


def test_command_line_starts_a_persistent_emulator(tmp_path):
    command = [sys.executable, "-m", "fiscal_connector.emulators", "atol-web", "--port", "0",
               "--state-dir", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        started = json.loads(process.stdout.readline())
        info = requests.get(f"{started['url']}/api/v2/serverInfo", timeout=TIMEOUT).json()
        assert "emulator" in info["version"]
        body = {"uuid": "cli-1", "request": [render_task(receipt_for_total())]}
        assert requests.post(f"{started['url']}/api/v2/requests", json=body,
                             timeout=TIMEOUT).status_code == 201
    finally:
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        process.stdout.close()
    assert (tmp_path / "atol_web.sqlite").exists()


def test_register_clock_runs_in_its_own_zone(tmp_path):
    server = EmulatorServer("atol_web", tmp_path / "web", tz="Asia/Yekaterinburg").start()
    try:
        assert post_web(server, "tz-1").status_code == 201
        answer = requests.get(f"{server.url}/api/v2/requests/tz-1", timeout=TIMEOUT).json()
    finally:
        server.stop()
    moment = answer["results"][0]["result"]["fiscalParams"]["fiscalDocumentDateTime"]
    assert moment.endswith("+05:00"), moment
