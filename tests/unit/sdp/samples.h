/*
 * samples.h: SDP bodies shaped like what real endpoints send (Linphone,
 * baresip, a Polycom desk phone, a WebRTC browser with ICE and DTLS, an IPv6
 * softphone, an LF-only one, a T.38 re-INVITE with a disabled audio stream).
 * Written for these tests; addresses are from documentation ranges.
 */
#ifndef RTPRELAY_TEST_SDP_SAMPLES_H
#define RTPRELAY_TEST_SDP_SAMPLES_H

static const char sdp_linphone[] =
	"v=0\r\n"
	"o=alice 3029 1771 IN IP4 192.168.1.20\r\n"
	"s=Talk\r\n"
	"c=IN IP4 192.168.1.20\r\n"
	"t=0 0\r\n"
	"a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
	"a=record:off\r\n"
	"m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 useinbandfec=1\r\n"
	"a=rtpmap:97 speex/16000\r\n"
	"a=fmtp:97 vbr=on\r\n"
	"a=rtpmap:98 speex/8000\r\n"
	"a=fmtp:98 vbr=on\r\n"
	"a=fmtp:18 annexb=yes\r\n"
	"a=rtpmap:101 telephone-event/48000\r\n"
	"a=rtpmap:99 telephone-event/16000\r\n"
	"a=rtpmap:100 telephone-event/8000\r\n"
	"a=rtcp-fb:* trr-int 1000\r\n"
	"a=rtcp-fb:* ccm tmmbr\r\n"
	"m=video 9078 RTP/AVP 96 97\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtpmap:97 H264/90000\r\n"
	"a=fmtp:97 profile-level-id=42801F\r\n"
	"a=rtcp-fb:* trr-int 1000\r\n"
	"a=rtcp-fb:96 nack pli\r\n"
	"a=rtcp-fb:97 nack pli\r\n";

static const char sdp_baresip[] =
	"v=0\r\n"
	"o=- 1873421905 3651225217 IN IP4 198.51.100.7\r\n"
	"s=-\r\n"
	"c=IN IP4 198.51.100.7\r\n"
	"t=0 0\r\n"
	"m=audio 10364 RTP/AVP 0 8 101\r\n"
	"b=AS:64\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=sendrecv\r\n"
	"a=label:1\r\n"
	"a=ssrc:1402318119 cname:a3b4c5d6-0000-4000-8000-1234567890ab\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtcp-mux\r\n"
	"a=ptime:20\r\n";

/* Polycom style: static types only, session-level direction, a=rtcp with address. */
static const char sdp_polycom[] =
	"v=0\r\n"
	"o=- 1640003120 1640003120 IN IP4 203.0.113.45\r\n"
	"s=Polycom IP Phone\r\n"
	"c=IN IP4 203.0.113.45\r\n"
	"t=0 0\r\n"
	"a=sendrecv\r\n"
	"m=audio 2222 RTP/AVP 9 0 8 18 101\r\n"
	"a=rtcp:2223 IN IP4 203.0.113.45\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:18 annexb=no\r\n";

static const char sdp_webrtc[] =
	"v=0\r\n"
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS stream0\r\n"
	"m=audio 53144 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 192.0.2.33\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:1467250027 1 udp 2122260223 192.0.2.33 53144 typ host generation 0\r\n"
	"a=candidate:435653019 1 tcp 1845501695 192.0.2.33 0 typ host tcptype active\r\n"
	"a=end-of-candidates\r\n"
	"a=ice-ufrag:EsAw\r\n"
	"a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=sendrecv\r\n"
	"a=msid:stream0 track0\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=rtpmap:63 red/48000/2\r\n"
	"a=fmtp:63 111/111\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"a=ssrc:2897164541 cname:0SGSapFC6ePpMbbB\r\n"
	"m=video 53145 UDP/TLS/RTP/SAVPF 96 97\r\n"
	"c=IN IP4 192.0.2.33\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:EsAw\r\n"
	"a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
	"a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
	"a=setup:actpass\r\n"
	"a=mid:1\r\n"
	"a=recvonly\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtcp-fb:96 nack pli\r\n"
	"a=rtpmap:97 rtx/90000\r\n"
	"a=fmtp:97 apt=96\r\n";

static const char sdp_ipv6[] =
	"v=0\r\n"
	"o=bob 2890844526 2890842807 IN IP6 2001:db8::10\r\n"
	"s=Call\r\n"
	"c=IN IP6 2001:db8::10\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 101\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=rtcp:49171 IN IP6 2001:db8::11\r\n"
	"m=video 0 RTP/AVP 31\r\n";

static const char sdp_lf_only[] =
	"v=0\n"
	"o=- 12 34 IN IP4 10.0.0.1\n"
	"s=lf\n"
	"c=IN IP4 10.0.0.1\n"
	"t=0 0\n"
	"m=audio 4000 RTP/AVP 8 0\n"
	"a=inactive\n";

/* Re-INVITE to T.38: audio disabled (port 0), image stream with non-RTP format. */
static const char sdp_t38[] =
	"v=0\r\n"
	"o=fax 1 2 IN IP4 192.0.2.90\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.90\r\n"
	"t=0 0\r\n"
	"m=audio 0 RTP/AVP 0\r\n"
	"m=image 30000 udptl t38\r\n"
	"a=T38FaxVersion:0\r\n"
	"a=T38MaxBitRate:14400\r\n"
	"a=T38FaxRateManagement:transferredTCF\r\n";

#endif
