"""Streamlit's own words in Chinese: the texts its frontend draws in English whatever the page says (the table
toolbar's tooltips "Download as CSV", "Search", "Fullscreen", a column's menu, the running indicator, the date
picker's month buttons, the select boxes' "No results").

Streamlit has no setting for its frontend's language and no parameter for these texts (the data grid's toolbar is
always there), so a small script in the page (installed once per browser tab by app.py's navigation) watches the
document and replaces each of these exact texts, in text nodes and in the aria-label, title and placeholder
attributes, by its Chinese. Only whole texts listed here (or beginning as one of PREFIXES does) are touched: a page's
own text never matches them."""
from __future__ import annotations

import json

NOT_FOUND_TITLE = "页面不存在或无权访问"
NOT_FOUND = "您打开的页面不存在，或您的账户无权访问，已为您打开首页。"
# Streamlit 1.67's English texts a user of these pages can meet, and what they say in Chinese.
TRANSLATIONS = {
    # the table toolbar and fullscreen
    "Download as CSV": "下载表格",
    "Search": "搜索",
    "Fullscreen": "全屏",
    "Toggle fullscreen": "切换全屏",
    "Close fullscreen": "退出全屏",
    "Show/hide columns": "显示/隐藏列",
    "Select all": "全选",
    "Clear selection": "清除选择",
    "Add row": "添加行",
    "Delete row": "删除行",
    # a column's menu
    "Sort ascending": "升序排列",
    "Sort descending": "降序排列",
    "Pin column": "固定列",
    "Unpin column": "取消固定",
    "Hide column": "隐藏列",
    "Autosize": "自动列宽",
    "Format": "格式",
    "Automatic": "自动",
    "Localized": "本地格式",
    "Sum": "合计",
    "Average": "平均",
    "Min": "最小",
    "Max": "最大",
    # select boxes, date pickers, text inputs
    "No results": "无匹配项",
    "No options to select": "没有可选项",
    "Choose an option": "请选择",
    "Choose options": "请选择",
    "Select...": "请选择……",
    "Clear value": "清除",
    "Clear all": "全部清除",
    "Previous month": "上个月",
    # an empty date input's placeholder, one text per part
    "yyyy": "年",
    "mm": "月",
    "dd": "日",
    "Next month": "下个月",
    "Show password": "显示密码",
    "Hide password": "隐藏密码",
    "Press Enter to apply": "按回车键确认",
    "Press Enter to submit form": "按回车键提交",
    # the app's frame: running indicator, menu, sidebar
    "Running...": "正在计算……",
    "Stop": "停止",
    "Stopping...": "正在停止……",
    "Connecting": "正在连接",
    "Please wait...": "请稍候……",
    "Main menu": "主菜单",
    "Rerun": "刷新",
    "Print": "打印",
    "Clear cache": "清除缓存",
    "Settings": "设置",
    "Record a screencast": "录制屏幕",
    "Stop recording": "停止录制",
    "Collapse sidebar": "收起侧边栏",
    "Expand sidebar": "展开侧边栏",
    "Close": "关闭",
    "Skip to main content": "跳到主要内容",
    "Copy": "复制",
    # the dialog over an address that is no page (app.py answers a page of another role with its own notice)
    "Page not found": NOT_FOUND_TITLE,
    "The page that you have requested does not seem to exist. Running the app's main page.": NOT_FOUND,
}
# Texts that carry a variable part (the page's name) after a fixed beginning, replaced whole.
PREFIXES = {"You have requested page /": NOT_FOUND}

# The element holding the script takes no room: its container is hidden (it would add a gap at the top of every page).
_SCRIPT = """<style>.stElementContainer:has(#zs-chinese) { display: none; }</style><script id="zs-chinese">
(() => {
  if (window.zsChinese) return;
  const words = %s;
  const prefixes = Object.entries(%s);
  const chinese = (text) => Object.hasOwn(words, text) ? words[text]
    : (prefixes.find(([start]) => text.startsWith(start)) || [])[1];
  const attributes = ["aria-label", "title", "placeholder"];
  const translate = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.nodeValue.trim();
      const said = text && chinese(text);
      if (said) node.nodeValue = node.nodeValue.replace(text, said);
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const name of attributes) {
      const value = node.getAttribute(name);
      const said = value && chinese(value.trim());
      if (said) node.setAttribute(name, said);
    }
    for (const child of node.childNodes) translate(child);
  };
  window.zsChinese = new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "childList") change.addedNodes.forEach(translate);
      else translate(change.target);
    }
  });
  window.zsChinese.observe(document.body, {subtree: true, childList: true, characterData: true,
                                           attributes: true, attributeFilter: attributes});
  translate(document.body);
})();
</script>"""


def script() -> str:
    """The script that puts TRANSLATIONS in place, for st.html(..., unsafe_allow_javascript=True)."""
    return _SCRIPT % (json.dumps(TRANSLATIONS, ensure_ascii=False), json.dumps(PREFIXES, ensure_ascii=False))
