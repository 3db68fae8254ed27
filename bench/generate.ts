import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

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

/** Bump when the generated text changes: cached logs under bench/out carry it in their name. */
export const GENERATOR_VERSION = 3;

/** The brute-force definition the ground truth uses (that of ssh-bruteforce-source.yml). */
export const BRUTEFORCE_WINDOW_S = 300;
export const BRUTEFORCE_THRESHOLD = 5;

function stampOf(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}`;
}

/*
 * Planted attacks. Every 45 minutes of log time one scenario from SCENARIOS
 * (in turn) runs from a fresh source address: real brute force, and near
 * misses that a sloppy window (exclusive bounds, wall-clock time, counting
 * sshd's PAM / "Invalid user" / "Connection closed" lines or a rejected
 * public-key offer as extra attempts) would get wrong. Steps are (seconds after the start, line kind).
 */
type StepKind = 'fail' | 'fail-invalid' | 'fail-key' | 'pam' | 'invalid' | 'closed';
type Step = readonly [seconds: number, kind: StepKind];

interface ScenarioKind {
  readonly kind: string;
  /** What the planting means to produce; checked against the computed truth. */
  readonly bruteforce: boolean;
  steps(rnd: () => number): Step[];
}

const every = (seconds: readonly number[], kind: StepKind = 'fail'): Step[] =>
  seconds.map((s) => [s, kind] as const);

const SCENARIOS: readonly ScenarioKind[] = [
  {
    kind: 'burst',
    bruteforce: true,
    steps: (rnd) => {
      const out: Step[] = [];
      let s = 0;
      for (let n = 6 + Math.floor(rnd() * 30); n > 0; n--) {
        out.push([s, rnd() < 0.3 ? 'fail-invalid' : 'fail']);
        s += 1 + Math.floor(rnd() * 15);
      }
      return out;
    },
  },
  {
    // 5 attempts, each with the PAM / invalid-user / close lines sshd adds
    kind: 'five-attempts-with-repeat-lines',
    bruteforce: false,
    steps: () => [
      [0, 'invalid'],
      [1, 'pam'],
      [2, 'fail-invalid'],
      [3, 'closed'],
      ...every([60, 90, 150, 200]),
      [201, 'pam'],
      [202, 'closed'],
      [240, 'invalid'],
    ],
  },
  {
    kind: 'six-within-exactly-300s',
    bruteforce: true,
    steps: () => every([0, 60, 120, 180, 240, 300]),
  },
  { kind: 'six-within-301s', bruteforce: false, steps: () => every([0, 60, 120, 180, 240, 301]) },
  {
    kind: 'six-failures-among-other-sshd-lines',
    bruteforce: true,
    steps: () => [
      [0, 'fail'],
      [1, 'pam'],
      [20, 'invalid'],
      [21, 'fail-invalid'],
      [50, 'fail-key'],
      [51, 'fail'],
      [90, 'fail'],
      [130, 'fail-invalid'],
      [170, 'fail-key'],
      [171, 'fail'],
      [172, 'closed'],
    ],
  },
  {
    // a client offering its keys in turn before a password: key offers are not attempts
    kind: 'five-failures-and-rejected-keys',
    bruteforce: false,
    steps: () => [...every([0, 1, 2, 60, 61, 62], 'fail-key'), ...every([3, 63, 120, 180, 240])],
  },
  {
    kind: 'six-over-6-minutes',
    bruteforce: false,
    steps: () => every([0, 72, 144, 216, 288, 360]),
  },
  {
    kind: 'slow-one-per-61s',
    bruteforce: false,
    steps: () => every(Array.from({ length: 15 }, (_, i) => i * 61)),
  },
  {
    kind: 'two-bursts-of-5-6-minutes-apart',
    bruteforce: false,
    steps: () => every([0, 15, 30, 45, 60, 362, 377, 392, 407, 422]),
  },
];

const SCENARIO_EVERY_MS = 45 * 60_000;

interface PlantedLine {
  readonly ms: number;
  readonly text: string;
}

export interface PlantedScenario {
  readonly kind: string;
  readonly ip: string;
  readonly start: string;
  readonly bruteforce: boolean;
}

function plant(
  rnd: () => number,
  startMs: number,
  endMs: number,
): { lines: PlantedLine[]; scenarios: PlantedScenario[] } {
  const lines: PlantedLine[] = [];
  const scenarios: PlantedScenario[] = [];
  const used = new Set<string>();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let k = 0;
  for (let t0 = startMs + 10 * 60_000; t0 + 30 * 60_000 < endMs; t0 += SCENARIO_EVERY_MS, k++) {
    const sc = SCENARIOS[k % SCENARIOS.length]!;
    let ip: string;
    do {
      ip = `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
    } while (used.has(ip));
    used.add(ip);
    const user = pick(USERS);
    for (const [s, kind] of sc.steps(rnd)) {
      const pid = 1000 + Math.floor(rnd() * 60000);
      const port = 1024 + Math.floor(rnd() * 64000);
      const head = `${pick(HOSTS)} sshd[${pid}]: `;
      let text: string;
      switch (kind) {
        case 'fail':
          text = `Failed password for ${user} from ${ip} port ${port} ssh2`;
          break;
        case 'fail-invalid':
          text = `Failed password for invalid user ${user}${k % 7} from ${ip} port ${port} ssh2`;
          break;
        case 'fail-key':
          text = `Failed publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:9xQbN2m4Lr7Vt1Kc8Hs5Wd3Jf6Gp0Ya2Ze4Ux7Ci1Bo`;
          break;
        case 'pam':
          text = `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`;
          break;
        case 'invalid':
          text = `Invalid user ${user}${k % 7} from ${ip} port ${port}`;
          break;
        case 'closed':
          text = `Connection closed by authenticating user ${user} ${ip} port ${port} [preauth]`;
          break;
      }
      lines.push({ ms: t0 + s * 1000, text: head + text });
    }
    scenarios.push({
      kind: sc.kind,
      ip,
      start: new Date(t0).toISOString(),
      bruteforce: sc.bruteforce,
    });
  }
  lines.sort((a, b) => a.ms - b.ms);
  return { lines, scenarios };
}

/** One line of background traffic at `t` (ms). */
function noiseLine(rnd: () => number, t: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ip = () =>
    `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
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
  return `${host} ${line}`;
}

/**
 * Writes `lines` lines of realistic auth/syslog traffic: sshd brute force and
 * logins, pam_unix, sudo, su, cron, systemd and kernel noise, in RFC 3164
 * form as /var/log/auth.log and /var/log/syslog have it, with the planted
 * scenarios merged in time order. Returns the planted scenarios.
 */
export function generateAuthLog(file: string, lines: number, seed = 42): PlantedScenario[] {
  const rnd = prng(seed);
  const start = Date.UTC(2026, 10, 1, 0, 0, 0);
  // Background lines come every 0–2 s (1 s on average): plant within the span they cover.
  const planted = plant(prng(seed ^ 0x5eed), start, start + lines * 1000 * 0.9);
  let t = start;
  let p = 0;
  const fd = fs.openSync(file, 'w');
  let buf = '';
  for (let i = 0; i < lines; i++) {
    const next = planted.lines[p];
    if (next !== undefined && next.ms <= t) {
      buf += `${stampOf(next.ms)} ${next.text}\n`;
      p++;
    } else {
      t += Math.floor(rnd() * 2000);
      buf += `${stampOf(t)} ${noiseLine(rnd, t)}\n`;
    }
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
  return planted.scenarios;
}

export interface GroundTruth {
  readonly generator: { version: number; seed: number; lines: number };
  readonly definition: string;
  /** sshd "Failed password" lines in the file. */
  readonly failures: number;
  /** Source addresses that really brute-forced, sorted. */
  readonly bruteforce: string[];
  readonly planted: PlantedScenario[];
}

const FAILED =
  /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) \S+ sshd\[\d+\]: Failed password for (?:invalid user )?\S+ from (\S+) port \d+/;

/**
 * The ground truth, counted from the written file alone (not through any
 * vigil code): the source addresses with more than 5 sshd "Failed
 * password" lines whose timestamps lie within 300 s of each other, bounds
 * included. One failed attempt is one such line; sshd's PAM, "Invalid user"
 * and "Connection closed" lines about the same attempt are not attempts,
 * and neither is "Failed publickey" (a key the client offered in turn was
 * not accepted; the rule set calls that a step). Timestamps are read as UTC of the generator's year, rolling
 * over when the month goes back (Dec → Jan).
 */
export async function countBruteForce(
  file: string,
): Promise<{ failures: number; bruteforce: string[] }> {
  const recent = new Map<string, number[]>();
  const found = new Set<string>();
  let year = 2026;
  let lastMonth = -1;
  let failures = 0;
  let n = 0;
  const input = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of input) {
    const m = FAILED.exec(line);
    if (!m) continue;
    failures++;
    const month = MONTHS.indexOf(m[1]!);
    if (month < lastMonth) year++;
    lastMonth = month;
    const s = Date.UTC(year, month, +m[2]!, +m[3]!, +m[4]!, +m[5]!) / 1000;
    const ip = m[6]!;
    const times = (recent.get(ip) ?? []).filter((x) => s - x <= BRUTEFORCE_WINDOW_S);
    times.push(s);
    recent.set(ip, times);
    if (times.length > BRUTEFORCE_THRESHOLD) found.add(ip);
    // Forget addresses with nothing inside the window, so memory stays flat.
    if (++n % 10_000 === 0) {
      for (const [k, ts] of recent)
        if (s - ts[ts.length - 1]! > BRUTEFORCE_WINDOW_S) recent.delete(k);
    }
  }
  return { failures, bruteforce: [...found].sort() };
}

/**
 * The benchmark log of `lines` lines under `dir` and its ground truth
 * (`<log>.truth.json`), generated when absent. Throws when the planting does
 * not produce what it meant to (a scenario's brute force missing from the
 * counted truth, or a near miss in it).
 */
export async function ensureBenchLog(
  dir: string,
  lines: number,
  seed = 42,
): Promise<{ file: string; truthFile: string; truth: GroundTruth }> {
  const file = path.join(dir, `auth-${lines}-v${GENERATOR_VERSION}.log`);
  const truthFile = `${file}.truth.json`;
  if (fs.existsSync(file) && fs.existsSync(truthFile)) {
    return {
      file,
      truthFile,
      truth: JSON.parse(fs.readFileSync(truthFile, 'utf8')) as GroundTruth,
    };
  }
  fs.mkdirSync(dir, { recursive: true });
  const planted = generateAuthLog(file, lines, seed);
  const counted = await countBruteForce(file);
  const truth: GroundTruth = {
    generator: { version: GENERATOR_VERSION, seed, lines },
    definition:
      `source.ip with more than ${BRUTEFORCE_THRESHOLD} sshd "Failed password" lines ` +
      `within ${BRUTEFORCE_WINDOW_S} s (first and last timestamp at most ${BRUTEFORCE_WINDOW_S} s apart)`,
    ...counted,
    planted,
  };
  const found = new Set(truth.bruteforce);
  const wrong = planted.filter((s) => found.has(s.ip) !== s.bruteforce);
  if (wrong.length > 0) {
    throw new Error(
      `generator: planted scenarios not as meant: ${wrong.map((s) => `${s.kind} ${s.ip}`).join(', ')}`,
    );
  }
  fs.writeFileSync(truthFile, JSON.stringify(truth, null, 1) + '\n');
  return { file, truthFile, truth };
}
