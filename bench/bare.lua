wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
