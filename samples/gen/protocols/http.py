"""HTTP/1.1 messages (RFC 9112): request line, headers, Content-Length bodies."""

REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
           404: "Not Found"}


def _message(start_line, headers, body):
    lines = [start_line] + ["%s: %s" % pair for pair in headers]
    if body or start_line.startswith(("POST", "PUT", "HTTP/")):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def request(method, target, host, body=b"", content_type=None, extra=(),
            agent="python-requests/2.28.1"):
    headers = [("Host", host), ("User-Agent", agent), ("Accept", "*/*"),
               ("Connection", "keep-alive")] + list(extra)
    if content_type:
        headers.append(("Content-Type", content_type))
    return _message("%s %s HTTP/1.1" % (method, target), headers, body)


def response(status, body=b"", content_type="application/json", server="nginx/1.22.1",
             extra=()):
    headers = [("Server", server), ("Date", "Wed, 01 May 2024 10:00:00 GMT")]
    if body:
        headers.append(("Content-Type", content_type))
    headers += list(extra)
    return _message("HTTP/1.1 %d %s" % (status, REASONS[status]), headers, body)


def not_found(server="nginx/1.22.1"):
    return response(404, b"<html><body><h1>404 Not Found</h1></body></html>\n", "text/html",
                    server)
