// The port-forward relay the kubelet runs inside a pod's network namespace
// (`nsenter --net=<netns> node nsrelay.js PORT`): it connects to localhost:PORT as upstream's
// runtime does (127.0.0.1, then ::1), says "ok" on stderr once connected (or why not, and exits
// 1), then copies stdin to the connection and the connection to stdout, each side's end
// half-closing the other.
import net from 'node:net';

const port = Number(process.argv[2]);

function connect(host: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen: true });
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  });
}

async function main(): Promise<void> {
  let sock: net.Socket;
  try {
    sock = await connect('127.0.0.1');
  } catch (e4) {
    try {
      sock = await connect('::1');
    } catch (e6) {
      process.stderr.write(`failed to connect to localhost:${port} inside the pod's network namespace, IPv4: ${(e4 as Error).message} IPv6: ${(e6 as Error).message}\n`);
      process.exit(1);
    }
  }
  sock.setNoDelay(true);
  process.stderr.write('ok\n');
  process.stdin.pipe(sock);
  sock.pipe(process.stdout);
  sock.on('error', (e) => { process.stderr.write(`${e.message}\n`); process.exit(1); });
  sock.on('close', () => process.exit(0));
}

void main();
