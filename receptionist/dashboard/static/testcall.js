// The browser test call: microphone -> 8 kHz µ-law Media Streams frames -> WebSocket;
// the receptionist's frames are played with Twilio's mark and clear semantics.
(() => {
  const log = document.getElementById("log"), state = document.getElementById("state");
  let ws = null, ctx = null, mic = null, proc = null, nextTime = 0, sources = [], marks = [];
  const say = (who, text) => { const p = document.createElement("p");
    p.className = who; p.textContent = who + ": " + text; log.appendChild(p); };
  function ulawEncode(x) { let s = Math.max(-32635, Math.min(32635, Math.round(x * 32767)));
    const sign = s < 0 ? 0x80 : 0; s = Math.abs(s) + 0x84; let e = 7;
    for (let m = 0x4000; (s & m) === 0 && e > 0; m >>= 1) e--;
    return ~(sign | (e << 4) | ((s >> (e + 3)) & 0x0F)) & 0xFF; }
  function ulawDecode(u) { u = ~u & 0xFF; const sign = u & 0x80, e = (u >> 4) & 7, m = u & 15;
    const mag = (((m << 3) + 0x84) << e) - 0x84; return (sign ? -mag : mag) / 32768; }
  const b64 = bytes => btoa(String.fromCharCode.apply(null, bytes));
  function play(payload) {
    const raw = atob(payload), buf = ctx.createBuffer(1, raw.length, 8000), ch = buf.getChannelData(0);
    for (let i = 0; i < raw.length; i++) ch[i] = ulawDecode(raw.charCodeAt(i));
    const src = ctx.createBufferSource(); src.buffer = buf; src.connect(ctx.destination);
    nextTime = Math.max(nextTime, ctx.currentTime); src.start(nextTime); nextTime += buf.duration;
    sources.push(src); src.onended = () => { sources = sources.filter(s => s !== src); };
  }
  function mark(name) { const at = Math.max(0, nextTime - ctx.currentTime) * 1000;
    const t = setTimeout(() => { marks = marks.filter(m => m.t !== t); send({event: "mark", mark: {name}}); }, at);
    marks.push({t, name}); }
  function clear() { sources.forEach(s => { try { s.stop(); } catch (e) {} }); sources = [];
    nextTime = ctx.currentTime; marks.forEach(m => { clearTimeout(m.t); send({event: "mark", mark: {name: m.name}}); });
    marks = []; }
  const send = m => { if (ws && ws.readyState === 1) ws.send(JSON.stringify(Object.assign({streamSid: "MZbrowser"}, m))); };
  async function start() {
    ctx = new AudioContext({sampleRate: 8000});
    mic = await navigator.mediaDevices.getUserMedia({audio: {echoCancellation: true}});
    const input = ctx.createMediaStreamSource(mic);
    proc = ctx.createScriptProcessor(1024, 1, 1); let pending = [];
    proc.onaudioprocess = ev => { const data = ev.inputBuffer.getChannelData(0);
      for (let i = 0; i < data.length; i++) pending.push(ulawEncode(data[i]));
      while (pending.length >= 160) send({event: "media", media: {track: "inbound", payload: b64(pending.splice(0, 160))}}); };
    input.connect(proc); proc.connect(ctx.destination);
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/dashboard/testcall/stream");
    ws.onopen = () => { state.textContent = "in call"; send({event: "connected", protocol: "Call", version: "1.0.0"}); };
    ws.onmessage = ev => { const m = JSON.parse(ev.data);
      if (m.event === "media") play(m.media.payload);
      else if (m.event === "mark") mark(m.mark.name);
      else if (m.event === "clear") clear();
      else if (m.event === "transcript") { if (m.heard) say("you", m.heard); m.said.forEach(t => say("receptionist", t)); }
      else if (m.event === "ended") say("system", m.twiml.includes("<Dial") ? "transferred to a person" : "call ended");
      else if (m.event === "error") say("system", m.message); };
    ws.onclose = () => { state.textContent = "call over"; stop(); };
    document.getElementById("call").disabled = true; document.getElementById("hangup").disabled = false;
  }
  function stop() { send({event: "stop"}); if (proc) proc.disconnect(); if (mic) mic.getTracks().forEach(t => t.stop());
    document.getElementById("call").disabled = false; document.getElementById("hangup").disabled = true; }
  document.getElementById("call").onclick = () => start().catch(e => say("system", "microphone: " + e));
  document.getElementById("hangup").onclick = () => { stop(); if (ws) ws.close(); };
})();
