import fs from 'node:fs';

/** mulberry32: small, fast, deterministic; the same seed gives the same log. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const USERS = [
  'root',
  'admin',
  'alice',
  'bob',
  'deploy',
  'postgres',
  'ubuntu',
  'test',
  'oracle',
  'git',
  'www-data',
  'carol',
];
const HOSTS = ['web1', 'web2', 'db1', 'bastion'];
const CMDS = [
  '/usr/bin/apt update',
  '/bin/systemctl restart nginx',
  '/usr/bin/journalctl -xe',
  '/bin/cat /etc/shadow',
  '/usr/bin/docker ps',
];

/**
 * Writes `lines` lines of realistic auth/syslog traffic: sshd brute force and
 * logins, pam_unix, sudo, su, cron, systemd and kernel noise, in RFC 3164
 * form as /var/log/auth.log and /var/log/syslog have it.
 */
export function generateAuthLog(file: string, lines: number, seed = 42): void {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ip = () =>
    `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
  let t = Date.UTC(2026, 10, 1, 0, 0, 0);
  const fd = fs.openSync(file, 'w');
  let buf = '';
  for (let i = 0; i < lines; i++) {
    t += Math.floor(rnd() * 2000);
    const d = new Date(t);
    const stamp = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}`;
    const host = pick(HOSTS);
    const pid = 1000 + Math.floor(rnd() * 60000);
    const user = pick(USERS);
    const port = 1024 + Math.floor(rnd() * 64000);
    const r = rnd();
    let line: string;
    if (r < 0.22)
      line = `sshd[${pid}]: Failed password for ${rnd() < 0.5 ? 'invalid user ' : ''}${user} from ${ip()} port ${port} ssh2`;
    else if (r < 0.3) line = `sshd[${pid}]: Invalid user ${user} from ${ip()} port ${port}`;
    else if (r < 0.36)
      line = `sshd[${pid}]: Accepted ${rnd() < 0.5 ? 'password' : 'publickey'} for ${user} from ${ip()} port ${port} ssh2${rnd() < 0.5 ? ': RSA SHA256:Xk3vL0q8b1mZp2w9Yt5rEu7Hc4nQ6sJd0fGa1bVc2D' : ''}`;
    else if (r < 0.42)
      line = `sshd[${pid}]: Connection closed by ${rnd() < 0.5 ? `authenticating user ${user} ` : ''}${ip()} port ${port} [preauth]`;
    else if (r < 0.46)
      line = `sshd[${pid}]: Received disconnect from ${ip()} port ${port}:11: Bye Bye [preauth]`;
    else if (r < 0.48)
      line = `sshd[${pid}]: Did not receive identification string from ${ip()} port ${port}`;
    else if (r < 0.56)
      line = `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip()}  user=${user}`;
    else if (r < 0.62)
      line = `sshd[${pid}]: pam_unix(sshd:session): session ${rnd() < 0.5 ? 'opened' : 'closed'} for user ${user}${rnd() < 0.5 ? '(uid=1000) by (uid=0)' : ''}`;
    else if (r < 0.68)
      line = `sudo: ${user} : TTY=pts/${Math.floor(rnd() * 5)} ; PWD=/home/${user} ; USER=root ; COMMAND=${pick(CMDS)}`;
    else if (r < 0.7)
      line = `sudo: ${user} : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/${user} ; USER=root ; COMMAND=${pick(CMDS)}`;
    else if (r < 0.73)
      line = `su[${pid}]: pam_unix(su:session): session opened for user root(uid=0) by ${user}(uid=1000)`;
    else if (r < 0.83)
      line = `CRON[${pid}]: (${pick(['root', 'www-data', 'backup'])}) CMD (${pick(['command -v debian-sa1 > /dev/null && debian-sa1 1 1', 'cd / && run-parts --report /etc/cron.hourly', '/usr/local/bin/backup.sh'])})`;
    else if (r < 0.88)
      line = `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`;
    else if (r < 0.93)
      line = `systemd-logind[${400 + (pid % 50)}]: New session ${pid % 9000} of user ${user}.`;
    else if (r < 0.96)
      line = `systemd[1]: Started ${pick(['Session 12 of User alice', 'Daily apt download activities', 'Cleanup of Temporary Directories'])}.`;
    else
      line = `kernel: [${Math.floor(t / 1000) % 100000}.${String(pid).padStart(6, '0')}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${ip()} DST=10.0.0.5 LEN=40 TOS=0x00 PREC=0x00 TTL=242 ID=54321 PROTO=TCP SPT=${port} DPT=${pick([22, 23, 80, 443, 3389, 5432])} WINDOW=1024 RES=0x00 SYN URGP=0`;
    buf += `${stamp} ${host} ${line}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}
