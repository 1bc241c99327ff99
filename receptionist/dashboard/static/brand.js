// The voice page: say a name (saved settings) or a sample (the form's unsaved settings).
const csrf = document.querySelector('meta[name="csrf"]').content;
const player = document.getElementById("voice-player");

function lexicon() {
  const out = {};
  document.querySelectorAll("#lexicon tr").forEach((row) => {
    const w = row.querySelector(".written"), s = row.querySelector(".spoken");
    if (w && s && w.value.trim() && s.value.trim()) out[w.value.trim()] = s.value.trim();
  });
  return out;
}

async function say(text, preview) {
  const body = new FormData(preview ? document.getElementById("voiceform") : undefined);
  body.set("csrf", csrf);
  body.set("text", text);
  if (preview) { body.set("preview", "1"); body.set("lexicon", JSON.stringify(lexicon())); }
  const response = await fetch(document.body.dataset.sayUrl || "/dashboard/brand/say",
                               {method: "POST", body, credentials: "same-origin"});
  if (!response.ok) { alert(await response.text()); return; }
  if (player.src) URL.revokeObjectURL(player.src);
  player.src = URL.createObjectURL(await response.blob());
  player.dataset.said = text;
  await player.play().catch(() => {});
}

document.querySelectorAll("button.say").forEach((b) =>
  b.addEventListener("click", () => say(b.dataset.text, false)));
document.querySelectorAll("button.say-row").forEach((b) =>
  b.addEventListener("click", () => {
    const w = b.closest("tr").querySelector(".written").value;
    if (w.trim()) say(w, true);
  }));
document.getElementById("preview").addEventListener("click", () =>
  say(document.getElementById("sample").value, true));
document.getElementById("voiceform").addEventListener("submit", () => {
  document.getElementById("lexicon-json").value = JSON.stringify(lexicon());
});
