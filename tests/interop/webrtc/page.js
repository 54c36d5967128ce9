// The browser side of the WebRTC interop test: a JsSIP user agent that registers over
// WebSocket to Kamailio, places or auto-answers one call at a time, plays the remote
// audio unmuted (getStats' audioLevel stays 0 otherwise) and reports what it receives.
// The test drives it through window.rtcTest from Selenium; the page is configured by its
// query string: ws (WebSocket URL), user, domain, codecs ("opus" keeps Opus only in the
// browser's own SDP), video ("1": a video call, Chromium's fake camera).
import JsSIP from 'jssip';

const params = new URLSearchParams(window.location.search);
const cfg = {
  ws: params.get('ws'),
  user: params.get('user') || 'web',
  domain: params.get('domain') || '127.0.0.1',
  codecs: params.get('codecs') || '',
  // RTCPeerConnection bundlePolicy: 'balanced' (the browser's default) or 'max-bundle',
  // which makes the browser reject an answer without a=group:BUNDLE
  bundle: params.get('bundle') || 'balanced',
  video: params.get('video') === '1',
};

const logLines = [];
function log(msg) {
  const line = new Date().toISOString().slice(11, 23) + ' ' + msg;
  logLines.push(line);
  document.getElementById('log').textContent = logLines.slice(-25).join('\n');
}

function setState(s) {
  state.state = s;
  document.getElementById('state').textContent = s;
  log('state ' + s);
}

const state = { state: 'loading', registered: false, calls: 0, ended: [], failed: [],
                localSdp: [], remoteSdp: [], sdpErrors: [] };
let session = null;
let analyser = null;

// Keep only Opus (and telephone-event) in an SDP's audio section.
function opusOnly(sdp) {
  const lines = sdp.split('\r\n');
  const keep = new Set();
  for (const l of lines) {
    const m = /^a=rtpmap:(\d+) (opus|telephone-event)\//i.exec(l);
    if (m) keep.add(m[1]);
  }
  return lines.map((l) => {
    if (l.startsWith('m=audio ')) {
      const f = l.split(' ');
      return f.slice(0, 3).concat(f.slice(3).filter((pt) => keep.has(pt))).join(' ');
    }
    const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)[ ]/.exec(l);
    if (m && !keep.has(m[2])) return null;
    return l;
  }).filter((l) => l !== null).join('\r\n');
}

// The remote audio plays in the page and feeds an analyser for its dominant frequency.
function attachRemote(pc) {
  pc.addEventListener('track', (e) => {
    const audio = document.getElementById('remote');
    audio.srcObject = e.streams[0] || new MediaStream([e.track]);
    audio.muted = false;
    audio.play().catch((err) => log('play() failed: ' + err));
    const ctx = new AudioContext();
    const src = ctx.createMediaStreamSource(audio.srcObject);
    analyser = ctx.createAnalyser();
    analyser.fftSize = 4096;
    src.connect(analyser);
    log('remote track ' + e.track.kind);
  });
  pc.addEventListener('connectionstatechange', () => log('pc ' + pc.connectionState));
}

function dominantFrequency() {
  if (!analyser) return null;
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let best = 0;
  for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  return { hz: best * analyser.context.sampleRate / analyser.fftSize, db: bins[best] };
}

function watch(s) {
  session = s;
  state.calls += 1;
  if (s.connection) attachRemote(s.connection);
  else s.on('peerconnection', (e) => attachRemote(e.peerconnection));
  s.on('sdp', (e) => {
    if (e.originator === 'local' && cfg.codecs === 'opus') e.sdp = opusOnly(e.sdp);
    (e.originator === 'local' ? state.localSdp : state.remoteSdp).push(e.sdp);
  });
  // JsSIP sends its SDP when candidate gathering completes; a host with only loopback
  // may never report completion, so send once a first candidate is there
  let readyTimer = null;
  s.on('icecandidate', (e) => {
    log('candidate ' + e.candidate.candidate);
    if (!readyTimer) readyTimer = setTimeout(e.ready, 300);
  });
  // why Chromium refused a remote SDP (JsSIP then ends the call with a bare cause)
  s.on('peerconnection:setremotedescriptionfailed', (err) => {
    state.sdpErrors.push(String(err));
    log('setRemoteDescription failed: ' + err);
  });
  s.on('sending', () => log('sending INVITE'));
  s.on('progress', () => setState('ringing'));
  s.on('confirmed', () => setState('in call'));
  s.on('ended', (e) => {
    state.ended.push(e.originator + ': ' + e.cause);
    log('ended by ' + e.originator + ': ' + e.cause);
    setState('ended');
  });
  s.on('failed', (e) => {
    state.failed.push(e.originator + ': ' + e.cause);
    log('failed (' + e.originator + '): ' + e.cause + (e.message && e.message.reason_phrase
      ? ' ' + e.message.status_code + ' ' + e.message.reason_phrase : ''));
    setState('failed');
  });
}

const media = { mediaConstraints: { audio: true, video: cfg.video },
                pcConfig: { iceServers: [], bundlePolicy: cfg.bundle, rtcpMuxPolicy: 'require' } };

const ua = new JsSIP.UA({
  sockets: [new JsSIP.WebSocketInterface(cfg.ws)],
  uri: 'sip:' + cfg.user + '@' + cfg.domain,
  register: true,
  session_timers: false,
});
ua.on('connected', () => log('ws connected'));
ua.on('disconnected', () => log('ws disconnected'));
ua.on('registered', () => { state.registered = true; setState('registered'); });
ua.on('registrationFailed', (e) => { log('registration failed: ' + e.cause); setState('registration failed'); });
ua.on('newRTCSession', (e) => {
  watch(e.session);
  if (e.originator === 'remote') {
    setState('answering');
    e.session.answer(media);   // auto-answer
  }
});
document.getElementById('user').textContent = cfg.user + '@' + cfg.domain;
ua.start();

async function stats() {
  const out = { state: state.state, inbound: null, outbound: null, pair: null, codec: null,
                tone: dominantFrequency(), video: { inbound: null, outbound: null } };
  if (!session || !session.connection) return out;
  const report = await session.connection.getStats();
  const codecs = {};
  report.forEach((r) => { if (r.type === 'codec') codecs[r.id] = r.mimeType; });
  report.forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') {
      out.inbound = { packetsReceived: r.packetsReceived, packetsLost: r.packetsLost,
                      audioLevel: r.audioLevel || 0, totalAudioEnergy: r.totalAudioEnergy || 0,
                      bytesReceived: r.bytesReceived,
                      totalSamplesReceived: r.totalSamplesReceived,
                      concealedSamples: r.concealedSamples,
                      silentConcealedSamples: r.silentConcealedSamples,
                      decoder: r.decoderImplementation };
      out.codec = codecs[r.codecId] || null;
    } else if (r.type === 'outbound-rtp' && r.kind === 'audio') {
      out.outbound = { packetsSent: r.packetsSent, bytesSent: r.bytesSent };
    } else if (r.type === 'inbound-rtp' && r.kind === 'video') {
      out.video.inbound = { packetsReceived: r.packetsReceived, framesDecoded: r.framesDecoded,
                            codec: codecs[r.codecId] || null };
    } else if (r.type === 'outbound-rtp' && r.kind === 'video') {
      out.video.outbound = { packetsSent: r.packetsSent, framesEncoded: r.framesEncoded };
    } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
      out.pair = r.id;
    } else if (r.type === 'transport') {
      out.dtls = r.dtlsState;
      out.srtpCipher = r.srtpCipher;
    }
  });
  document.getElementById('stats').textContent = JSON.stringify(out, null, 1);
  return out;
}

window.rtcTest = {
  state,
  log: logLines,
  stats,
  call(target) {
    try {
      ua.call(target, media);
    } catch (err) {
      log('call failed: ' + err);
    }
  },
  hangup() { if (session) session.terminate(); },
};
setInterval(() => { stats().catch(() => {}); }, 500);
