"""A demo shop page that embeds the storefront delay banner (``templates/storefront/banner.js``).

``delaydesk serve`` mounts it at ``GET /shop/{merchant}``: one call,
``shop_page(merchant_id, api_base)``, where ``api_base`` is the URL the HTTP API is served at
(``http://127.0.0.1:P`` locally, the stage URL on AWS). The page is what a merchant's own
storefront does: it adds the one ``<script>`` tag of :func:`embed_snippet`, nothing else.
"""

from __future__ import annotations

from html import escape

PRODUCTS = {
    "zh-CN": [("西湖龙井 明前特级 250g", "¥128.00"), ("白瓷盖碗 茶具套装", "¥89.00"), ("安吉白茶 礼盒装", "¥168.00")],
    "zh-TW": [("西湖龍井 明前特級 250g", "NT$560"), ("白瓷蓋碗 茶具組", "NT$390"), ("安吉白茶 禮盒裝", "NT$730")],
    "en": [("West Lake Longjing, pre-Qingming, 250 g", "$18.00"), ("White porcelain gaiwan set", "$12.50"),
           ("Anji white tea gift box", "$24.00")],
}  # fmt: skip
WORDS = {
    "zh-CN": ("演示店铺", "加入购物车", "这是 DelayDesk 的演示页面：上方的发货通知来自店铺所嵌入的一行脚本。"),
    "zh-TW": ("示範商店", "加入購物車", "這是 DelayDesk 的示範頁面：上方的出貨通知來自商店嵌入的一行指令碼。"),
    "en": ("Demo shop", "Add to cart",
           "A DelayDesk demo page: the shipping notice above comes from the one script tag the shop embeds."),
}  # fmt: skip


def embed_snippet(merchant_id: str, api_base: str, locale: str | None = None) -> str:
    """The one tag a shop adds to its pages (``data-locale`` optional: the page's ``lang`` is used)."""
    base = api_base.rstrip("/")
    lang = f' data-locale="{escape(locale)}"' if locale else ""
    return (
        f'<script src="{escape(base)}/banner.js" data-merchant="{escape(merchant_id)}" '
        f'data-api="{escape(base)}"{lang} async></script>'
    )


def shop_page(merchant_id: str, api_base: str, locale: str = "zh-CN", shop_name: str | None = None) -> str:
    """The demo shop's HTML for ``merchant_id``, in ``locale`` (zh-CN, zh-TW or en), embedding the
    banner script served by the API at ``api_base``."""
    locale = locale if locale in PRODUCTS else "en"
    title, add, note = WORDS[locale]
    name = escape(shop_name or merchant_id)
    cards = "\n".join(
        f'<li class="card"><div class="pic" aria-hidden="true"></div><h2>{escape(item)}</h2>'
        f'<p class="price">{escape(price)}</p><button type="button">{add}</button></li>'
        for item, price in PRODUCTS[locale]
    )
    return f"""<!doctype html>
<html lang="{locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name} · {title}</title>
<style>
  *, *::before, *::after {{ box-sizing: border-box; }}
  body {{ margin: 0; font: 16px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif;
         color: #1f2328; background: #fafaf7; }}
  header {{ padding: 16px; background: #24412f; color: #fff; }}
  header h1 {{ margin: 0; font-size: 1.25rem; }}
  main {{ max-width: 1100px; margin: 0 auto; padding: 16px; }}
  ul.grid {{ list-style: none; margin: 0; padding: 0; display: grid; gap: 16px;
            grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); }}
  .card {{ background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px; }}
  .pic {{ aspect-ratio: 4 / 3; border-radius: 6px; background: linear-gradient(135deg, #cfe3c1, #8fb07a); }}
  .card h2 {{ font-size: 1rem; margin: 8px 0 4px; }}
  .price {{ margin: 0 0 8px; font-weight: 600; }}
  .card button {{ min-height: 44px; width: 100%; border: 0; border-radius: 6px; background: #24412f; color: #fff;
                 font: inherit; cursor: pointer; }}
  .card button:focus-visible {{ outline: 3px solid #1a4fd6; outline-offset: 2px; }}
  footer {{ padding: 16px; color: #57606a; font-size: .875rem; text-align: center; }}
</style>
</head>
<body>
<header><h1>{name}</h1></header>
<main>
<ul class="grid">
{cards}
</ul>
</main>
<footer>{note}</footer>
{embed_snippet(merchant_id, api_base)}
</body>
</html>
"""
