// Herald web chat: <script src="https://herald.example.com/webchat/embed.js" data-widget="default"></script>
// adds a chat button to the page that opens the widget's chat page in a panel.
(() => {
  const me = document.currentScript;
  const widget = (me && me.dataset.widget) || "default";
  const origin = me ? new URL(me.src).origin : "";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Chat with us";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:12px 18px;border:0;border-radius:24px;background:#2563eb;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.25)";
  const frame = document.createElement("iframe");
  frame.title = "Chat";
  frame.src = origin + "/webchat/" + encodeURIComponent(widget);
  frame.style.cssText = "position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(380px,calc(100vw - 40px));height:min(560px,calc(100vh - 100px));border:1px solid #d1d5db;border-radius:12px;background:#fff;box-shadow:0 8px 32px rgba(0,0,0,.25);display:none";
  button.addEventListener("click", () => {
    const open = frame.style.display === "none";
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
  });
  document.body.append(frame, button);
})();
