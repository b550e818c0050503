"""sanitize_html keeps nothing that runs or loads; html_to_text reads like the mail did."""

from __future__ import annotations

import pytest

from activities.capture.sanitize import html_to_text, sanitize_html


@pytest.mark.parametrize(
    ("html", "forbidden"),
    [
        ("<script>alert(1)</script><p>x</p>", "alert"),
        ("<style>p{color:red}</style><p>x</p>", "color"),
        ('<iframe src="https://evil.example"></iframe><p>x</p>', "iframe"),
        ('<form action="https://evil.example"><input name=a><button>go</button></form>', "form"),
        ('<p onclick="steal()">x</p>', "onclick"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<p style="background:url(https://t.example/p.gif)">x</p>', "t.example"),
        ('<img src="https://t.example/pixel.gif" width=1 height=1>', "t.example"),
        ("<img src=http://t.example/pixel.gif>", "<img"),
        ('<img src="cid:logo" alt="">', "<img"),
        ('<object data="https://x.example/a.swf"></object>', "object"),
        ('<link rel="stylesheet" href="https://x.example/a.css">', "link"),
        ('<video src="https://x.example/v.mp4"></video><audio src="a"></audio>', "x.example"),
        ('<table background="https://t.example/bg.gif"><tr><td>x</td></tr></table>', "t.example"),
        ("<!-- secret comment --><p>x</p>", "secret"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "evil"),
    ],
)
def test_nothing_that_runs_submits_or_loads_survives(html, forbidden):
    assert forbidden not in sanitize_html(html)


def test_remote_images_become_their_alt_text():
    cleaned = sanitize_html('<p>Hi <img src="https://cdn.example/logo.png" alt="ACME &amp; Co"> team</p>')
    assert cleaned == "<p>Hi [ACME &amp; Co] team</p>"


def test_links_keep_their_target_and_get_noopener_noreferrer():
    cleaned = sanitize_html('<a href="https://client.example/offer" target="_blank">offer</a>')
    assert cleaned == '<a href="https://client.example/offer" rel="noopener noreferrer">offer</a>'
    assert 'href="mailto:bob@client.example"' in sanitize_html('<a href="mailto:bob@client.example">Bob</a>')


def test_ordinary_formatting_is_kept():
    html = "<p><b>Bold</b> <i>it</i></p><ul><li>one</li></ul><blockquote>quoted</blockquote><table><tr><td colspan=2>c</td></tr></table>"
    cleaned = sanitize_html(html)
    for kept in ("<b>Bold</b>", "<i>it</i>", "<li>one</li>", "<blockquote>quoted</blockquote>", 'colspan="2"'):
        assert kept in cleaned


def test_empty_html_is_empty():
    assert sanitize_html("") == ""
    assert html_to_text("") == ""


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("line<br>break<br/>again", "line\nbreak\nagain"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("Fish &amp; chips &lt;3 &eacute;t&#233; &#x263A;", "Fish & chips <3 été ☺"),
        ("  lots   of\n\n  space\t here  ", "lots of space here"),
        ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<html><head><title>T</title><style>p{}</style></head><body>Body<script>x()</script></body></html>", "Body"),
        ("<pre>keep\n  indent</pre>", "keep\n  indent"),
        ("<p>Hi <img src=x alt='Logo'> there</p>", "Hi [Logo] there"),
        ("<h1>Title</h1>text", "Title\n\ntext"),
        ("a<b>b</b>c", "abc"),
        ("unclosed <b>bold <i>italic", "unclosed bold italic"),
        ("<p>&nbsp;</p><p>x</p>", "x"),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text


def test_sanitized_html_reads_the_same_as_text():
    html = '<p>Hello <b>Bob</b></p><img src="https://t.example/p.gif" alt="logo"><p>Bye</p>'
    assert html_to_text(sanitize_html(html)) == "Hello Bob\n\n[logo]\n\nBye"
