// Recording players: a transcript line (data-seek) seeks its player and plays from there;
// the line being spoken is highlighted as the recording plays.
document.addEventListener("click", (ev) => {
  const link = ev.target.closest("[data-seek]");
  if (!link) return;
  ev.preventDefault();
  const box = link.closest("[data-recording]");
  const audio = box && box.querySelector("audio");
  if (!audio) return;
  audio.currentTime = parseFloat(link.dataset.seek);
  audio.play().catch(() => {});
});
document.querySelectorAll("[data-recording] audio").forEach((audio) => {
  audio.addEventListener("timeupdate", () => {
    const lines = audio.closest("[data-recording]").querySelectorAll("[data-seek]");
    let current = null;
    lines.forEach((l) => { if (parseFloat(l.dataset.seek) <= audio.currentTime) current = l; });
    lines.forEach((l) => l.classList.toggle("now", l === current));
  });
});
