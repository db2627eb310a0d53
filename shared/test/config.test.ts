import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import {
  CONFIG_DOCS,
  ConfigError,
  type Env,
  parseFunctionsConfig,
  parseHostConfig,
  parseSyncConfig,
  REDACTED,
  redactConfig,
  SecretBytes,
} from '../src/config.ts';
import { AppError } from '../src/errors.ts';

/** The least a host needs outside production: an emulator (so no key) and an identity. */
const HOST_BASE: Env = { FIRESTORE_EMULATOR_HOST: 'localhost:8080', HOST_ID: 'test-host' };

const SYNC_DEFAULTS = {
  syncFullHistory: true,
  backfillCount: 100,
  backfillThreads: 50,
  historySyncDryRun: false,
  transport: 'baileys',
  includeStatusBroadcast: false,
};
/** What the socket host and the functions both read besides the sync settings. */
const SCHEDULING_DEFAULTS = {
  ...SYNC_DEFAULTS,
  functionsRegion: 'us-central1',
  backfillJitterMinSeconds: 10,
  backfillJitterMaxSeconds: 40,
  mediaBucket: undefined,
  mediaRetentionDays: 0,
  storageEmulatorHost: undefined,
};

const FUNCTIONS_DEFAULTS = {
  ...SCHEDULING_DEFAULTS,
  functionsMaxInstances: 10,
  enforceAppCheck: false,
  mediaSignedUrls: false,
  sendBudgetPerMinute: 30,
  sendIdSecret: undefined,
};

/** The ConfigError `parse` throws (failing the test if it throws anything else or nothing). */
function configError(parse: () => unknown): ConfigError {
  try {
    parse();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

function problemVariables(err: ConfigError): string[] {
  return err.problems.map((p) => p.variable);
}

function base64Key(bytes = 32): string {
  return randomBytes(bytes).toString('base64');
}

describe('config', () => {
  describe('defaults', () => {
    it('parseSyncConfig gives the DESIGN §5 defaults for an empty environment', () => {
      assert.deepEqual({ ...parseSyncConfig({}) }, SYNC_DEFAULTS);
    });

    it('parseFunctionsConfig adds region and jitter defaults, and the dashboard sign-in settings', () => {
      assert.deepEqual(
        { ...parseFunctionsConfig({}) },
        { ...FUNCTIONS_DEFAULTS, dashboardApiKey: undefined, authEmulatorHost: undefined },
      );
    });

    it('parseFunctionsConfig reads the dashboard sign-in settings and names bad ones', () => {
      const key = 'AIzaSyA-abcdefghijklmnopqrstuvwxyz01234';
      const parsed = parseFunctionsConfig({ DASHBOARD_API_KEY: key, FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099' });
      assert.equal(parsed.dashboardApiKey, key);
      assert.equal(parsed.authEmulatorHost, '127.0.0.1:9099');
      const err = configError(() =>
        parseFunctionsConfig({ DASHBOARD_API_KEY: 'not a key', FIREBASE_AUTH_EMULATOR_HOST: 'http://127.0.0.1:9099' }),
      );
      assert.deepEqual(problemVariables(err).sort(), ['DASHBOARD_API_KEY', 'FIREBASE_AUTH_EMULATOR_HOST']);
    });

    it('the socket host reads neither dashboard setting', () => {
      const host = parseHostConfig({ ...HOST_BASE, DASHBOARD_API_KEY: 'not a key' });
      assert.equal('dashboardApiKey' in host, false);
    });

    it('parseHostConfig adds the host defaults', () => {
      assert.deepEqual(
        { ...parseHostConfig(HOST_BASE) },
        {
          ...SCHEDULING_DEFAULTS,
          port: 8080,
          cloudRunRevision: undefined,
          logLevel: 'info',
          baileysLogLevel: 'warn',
          simulatedTrafficPerMinute: 0,
          authStateKey: undefined,
          authStatePreviousKeys: [],
          leaseTtlMs: 30_000,
          maxAccountsPerHost: 50,
          sendTtlSeconds: 900,
          sendIntervalMs: 1_000,
          sendJitterMs: 1_000,
          backfillRequestTimeoutSeconds: 60,
          backfillRetries: 1,
          backfillConcurrency: 1,
          mediaMaxBytes: 104_857_600,
          mediaEagerTypes: ['image', 'audio', 'video', 'document', 'sticker'],
          mediaDownloadsPerAccount: 3,
          mediaDownloadsPerHost: 12,
          mediaPrefetchNewest: 20,
          syncWritesPerSecond: 500,
          syncWritesPerSecondMax: 10_000,
          pendingUpdatesTtlDays: 30,
          rawHistoryRetentionDays: 30,
          firestoreEmulatorHost: 'localhost:8080',
          cloudTasksEmulatorHost: undefined,
          hostId: 'test-host',
          projectId: undefined,
        },
      );
    });

    it('treats empty and blank values as unset', () => {
      const config = parseFunctionsConfig({ WHATSAPP_BACKFILL_COUNT: '', WHATSAPP_SYNC_FULL_HISTORY: '   ' });
      assert.equal(config.backfillCount, 100);
      assert.equal(config.syncFullHistory, true);
    });

    it('never reads process.env', () => {
      process.env.WHATSAPP_BACKFILL_COUNT = '7';
      try {
        assert.equal(parseSyncConfig({}).backfillCount, 100);
      } finally {
        delete process.env.WHATSAPP_BACKFILL_COUNT;
      }
    });
  });

  describe('values', () => {
    it('reads every host setting', () => {
      const key = base64Key();
      const config = parseHostConfig({
        WHATSAPP_SYNC_FULL_HISTORY: 'false',
        WHATSAPP_BACKFILL_COUNT: '1000',
        WHATSAPP_BACKFILL_THREADS: '1',
        WHATSAPP_HISTORY_SYNC_DRY_RUN: 'yes',
        WHATSAPP_TRANSPORT: 'simulated',
        WHATSAPP_INCLUDE_STATUS_BROADCAST: '1',
        FUNCTIONS_REGION: 'europe-west1',
        BACKFILL_JITTER_MIN_S: '0',
        BACKFILL_JITTER_MAX_S: '0',
        PORT: ' 9090 ',
        HOST_ID: 'host-a',
        K_REVISION: 'socket-host-00012-abc',
        LOG_LEVEL: 'debug',
        AUTH_STATE_KEY: key,
        LEASE_TTL_MS: '45000',
        MAX_ACCOUNTS_PER_HOST: '12',
        BAILEYS_LOG_LEVEL: 'error',
        WHATSAPP_SIMULATED_TRAFFIC_PER_MINUTE: '120',
        BACKFILL_CONCURRENCY: '2',
        SEND_TTL_S: '120',
        SEND_INTERVAL_MS: '0',
        SEND_JITTER_MS: '250',
        BACKFILL_REQUEST_TIMEOUT_S: '30',
        BACKFILL_RETRIES: '0',
        MEDIA_BUCKET: 'my-project.appspot.com',
        MEDIA_MAX_BYTES: '2147483648',
        MEDIA_EAGER_TYPES: 'document, Image',
        MEDIA_DOWNLOADS_PER_ACCOUNT: '4',
        MEDIA_DOWNLOADS_PER_HOST: '9',
        MEDIA_PREFETCH_NEWEST: '0',
        MEDIA_RETENTION_DAYS: '365',
        FIREBASE_STORAGE_EMULATOR_HOST: '127.0.0.1:9199',
        SYNC_WRITES_PER_SECOND: '100',
        SYNC_WRITES_PER_SECOND_MAX: '200',
        PENDING_UPDATES_TTL_DAYS: '7',
        RAW_HISTORY_RETENTION_DAYS: '14',
        GOOGLE_CLOUD_PROJECT: 'my-project',
        GCLOUD_PROJECT: 'my-project',
      });
      const { authStateKey, authStatePreviousKeys, ...rest } = config;
      assert.deepEqual(rest, {
        syncFullHistory: false,
        backfillCount: 1000,
        backfillThreads: 1,
        historySyncDryRun: true,
        transport: 'simulated',
        includeStatusBroadcast: true,
        functionsRegion: 'europe-west1',
        backfillJitterMinSeconds: 0,
        backfillJitterMaxSeconds: 0,
        mediaBucket: 'my-project.appspot.com',
        mediaRetentionDays: 365,
        storageEmulatorHost: '127.0.0.1:9199',
        port: 9090,
        cloudRunRevision: 'socket-host-00012-abc',
        logLevel: 'debug',
        baileysLogLevel: 'error',
        simulatedTrafficPerMinute: 120,
        leaseTtlMs: 45_000,
        maxAccountsPerHost: 12,
        sendTtlSeconds: 120,
        sendIntervalMs: 0,
        sendJitterMs: 250,
        backfillRequestTimeoutSeconds: 30,
        backfillRetries: 0,
        backfillConcurrency: 2,
        mediaMaxBytes: 2_147_483_648,
        mediaEagerTypes: ['image', 'document'],
        mediaDownloadsPerAccount: 4,
        mediaDownloadsPerHost: 9,
        mediaPrefetchNewest: 0,
        syncWritesPerSecond: 100,
        syncWritesPerSecondMax: 200,
        pendingUpdatesTtlDays: 7,
        rawHistoryRetentionDays: 14,
        firestoreEmulatorHost: undefined,
        cloudTasksEmulatorHost: undefined,
        hostId: 'host-a',
        projectId: 'my-project',
      });
      assert.ok(authStateKey instanceof SecretBytes);
      assert.deepEqual(authStateKey.reveal(), Buffer.from(key, 'base64'));
      assert.deepEqual(authStatePreviousKeys, []);
    });

    it('returns frozen objects', () => {
      for (const config of [parseSyncConfig({}), parseFunctionsConfig({}), parseHostConfig(HOST_BASE)]) {
        assert.ok(Object.isFrozen(config));
        assert.equal(Reflect.set(config, 'backfillCount', 1), false);
        assert.equal(config.backfillCount, 100);
      }
    });
  });

  describe('booleans', () => {
    const ACCEPTED: [string, boolean][] = [
      ['true', true],
      ['TRUE', true],
      ['True', true],
      ['1', true],
      ['yes', true],
      ['YES', true],
      ['false', false],
      ['FALSE', false],
      ['0', false],
      ['no', false],
      ['No', false],
      [' yes ', true],
    ];
    for (const [raw, expected] of ACCEPTED) {
      it(`reads ${JSON.stringify(raw)} as ${expected}`, () => {
        assert.equal(parseSyncConfig({ WHATSAPP_HISTORY_SYNC_DRY_RUN: raw }).historySyncDryRun, expected);
        assert.equal(parseSyncConfig({ WHATSAPP_SYNC_FULL_HISTORY: raw }).syncFullHistory, expected);
      });
    }

    it('rejects every other non-empty value instead of treating it as truthy', () => {
      const accepted = new Set(['true', 'false', '1', '0', 'yes', 'no']);
      const candidates = fc.oneof(
        fc.constantFrom('on', 'off', 'y', 'n', 't', 'f', '2', '-1', 'enabled', 'truthy', 'ture', 'false!', '01'),
        fc.string(),
      );
      fc.assert(
        fc.property(candidates, (raw) => {
          fc.pre(raw.trim() !== '' && !accepted.has(raw.trim().toLowerCase()));
          const err = configError(() => parseSyncConfig({ WHATSAPP_HISTORY_SYNC_DRY_RUN: raw }));
          assert.deepEqual(problemVariables(err), ['WHATSAPP_HISTORY_SYNC_DRY_RUN']);
        }),
        { numRuns: 2_000 },
      );
    });
  });

  describe('integers and enums', () => {
    it('accepts every integer in range', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1000 }), (n) => {
          assert.equal(parseSyncConfig({ WHATSAPP_BACKFILL_COUNT: String(n) }).backfillCount, n);
        }),
      );
    });

    for (const raw of ['abc', '0', '1001', '1.5', '1e2', '-1', '+5', '0x10', '12abc', '99999999999999999999']) {
      it(`rejects WHATSAPP_BACKFILL_COUNT=${JSON.stringify(raw)}`, () => {
        const err = configError(() => parseSyncConfig({ WHATSAPP_BACKFILL_COUNT: raw }));
        assert.equal(
          err.message,
          `Invalid configuration:\n  WHATSAPP_BACKFILL_COUNT: expected an integer between 1 and 1000, got ${JSON.stringify(raw)}`,
        );
      });
    }

    it('enforces the documented ranges', () => {
      const cases: [Env, string][] = [
        [{ WHATSAPP_BACKFILL_THREADS: '501' }, 'WHATSAPP_BACKFILL_THREADS'],
        [{ BACKFILL_CONCURRENCY: '3' }, 'BACKFILL_CONCURRENCY'],
        [{ BACKFILL_CONCURRENCY: '0' }, 'BACKFILL_CONCURRENCY'],
        [{ PORT: '-1' }, 'PORT'],
        [{ PORT: '65536' }, 'PORT'],
        [{ LEASE_TTL_MS: '4999' }, 'LEASE_TTL_MS'],
        [{ BACKFILL_JITTER_MAX_S: '3601' }, 'BACKFILL_JITTER_MAX_S'],
      ];
      for (const [env, variable] of cases) {
        assert.deepEqual(problemVariables(configError(() => parseHostConfig({ ...HOST_BASE, ...env }))), [variable]);
      }
    });

    it('reads enums case-insensitively and rejects unknown values', () => {
      assert.equal(parseSyncConfig({ WHATSAPP_TRANSPORT: 'Simulated' }).transport, 'simulated');
      assert.equal(parseHostConfig({ ...HOST_BASE, LOG_LEVEL: 'WARN' }).logLevel, 'warn');
      const err = configError(() =>
        parseHostConfig({ ...HOST_BASE, WHATSAPP_TRANSPORT: 'fake', LOG_LEVEL: 'verbose' }),
      );
      assert.deepEqual(err.problems, [
        { variable: 'WHATSAPP_TRANSPORT', reason: 'expected one of baileys, simulated, got "fake"' },
        {
          variable: 'LOG_LEVEL',
          reason: 'expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
        },
      ]);
    });

    it('validates the media settings: bucket name, size limit, storage emulator host', () => {
      const err = configError(() =>
        parseHostConfig({
          ...HOST_BASE,
          MEDIA_BUCKET: 'gs://media',
          MEDIA_MAX_BYTES: '1000',
          FIREBASE_STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9199',
        }),
      );
      assert.deepEqual(problemVariables(err), ['MEDIA_BUCKET', 'FIREBASE_STORAGE_EMULATOR_HOST', 'MEDIA_MAX_BYTES']);
      const ok = parseFunctionsConfig({ MEDIA_BUCKET: 'acme-wa.firebasestorage.app' });
      assert.equal(ok.mediaBucket, 'acme-wa.firebasestorage.app');
    });

    it('reads MEDIA_EAGER_TYPES as a set of media types (none: no type) and names a bad entry', () => {
      const eager = (value: string) => parseHostConfig({ ...HOST_BASE, MEDIA_EAGER_TYPES: value }).mediaEagerTypes;
      assert.deepEqual(eager('sticker,audio,sticker'), ['audio', 'sticker'], 'in a fixed order, once each');
      assert.deepEqual(eager(' VIDEO '), ['video']);
      assert.deepEqual(eager('None'), []);
      assert.deepEqual(eager(''), ['image', 'audio', 'video', 'document', 'sticker'], 'empty is unset');
      const expected = 'expected a comma-separated list of image, audio, video, document, sticker (or none)';
      const err = configError(() => parseHostConfig({ ...HOST_BASE, MEDIA_EAGER_TYPES: 'image,gif,,Voice' }));
      assert.deepEqual(err.problems, [
        {
          variable: 'MEDIA_EAGER_TYPES',
          reason: `${expected}, got "image,gif,,Voice": not one of them: "gif", "", "voice"`,
        },
      ]);
      assert.deepEqual(configError(() => parseHostConfig({ ...HOST_BASE, MEDIA_EAGER_TYPES: 'none,image' })).problems, [
        { variable: 'MEDIA_EAGER_TYPES', reason: `${expected}, got "none,image": not one of them: "none"` },
      ]);
      assert.equal('mediaEagerTypes' in parseFunctionsConfig({}), false, 'the functions do not read it');
    });

    it('validates region, emulator host and project ids', () => {
      const ok = parseHostConfig({ ...HOST_BASE, FIRESTORE_EMULATOR_HOST: '[::1]:9000', GCLOUD_PROJECT: 'demo-test' });
      assert.equal(ok.firestoreEmulatorHost, '[::1]:9000');
      assert.equal(ok.projectId, 'demo-test');
      assert.equal(
        parseHostConfig({ ...HOST_BASE, FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' }).firestoreEmulatorHost,
        '127.0.0.1:8080',
      );
      for (const bad of ['localhost', 'localhost:0', 'localhost:70000', 'http://localhost:8080', 'a b:80']) {
        const err = configError(() => parseHostConfig({ ...HOST_BASE, FIRESTORE_EMULATOR_HOST: bad }));
        assert.deepEqual(problemVariables(err), ['FIRESTORE_EMULATOR_HOST'], bad);
      }
      assert.deepEqual(problemVariables(configError(() => parseFunctionsConfig({ FUNCTIONS_REGION: 'US Central' }))), [
        'FUNCTIONS_REGION',
      ]);
      assert.deepEqual(
        problemVariables(configError(() => parseHostConfig({ ...HOST_BASE, GOOGLE_CLOUD_PROJECT: 'Bad_Project' }))),
        ['GOOGLE_CLOUD_PROJECT'],
      );
    });
  });

  describe('one error for every problem', () => {
    it('lists every bad variable, in declaration order, in one ConfigError', () => {
      const err = configError(() =>
        parseHostConfig({
          ...HOST_BASE,
          WHATSAPP_BACKFILL_COUNT: 'abc',
          WHATSAPP_SYNC_FULL_HISTORY: 'maybe',
          BACKFILL_CONCURRENCY: '3',
        }),
      );
      assert.equal(
        err.message,
        [
          'Invalid configuration:',
          '  WHATSAPP_SYNC_FULL_HISTORY: expected true/false, 1/0 or yes/no, got "maybe"',
          '  WHATSAPP_BACKFILL_COUNT: expected an integer between 1 and 1000, got "abc"',
          '  BACKFILL_CONCURRENCY: expected an integer between 1 and 2, got "3"',
        ].join('\n'),
      );
    });

    it('is an AppError with code config_invalid whose details carry the problems', () => {
      const err = configError(() => parseFunctionsConfig({ FUNCTIONS_REGION: '?', BACKFILL_JITTER_MIN_S: 'x' }));
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'config_invalid');
      assert.equal(err.name, 'ConfigError');
      assert.deepEqual(err.toJSON().error.details, { problems: err.problems });
      assert.deepEqual(problemVariables(err), ['FUNCTIONS_REGION', 'BACKFILL_JITTER_MIN_S']);
    });

    it('shortens long bad values in the message', () => {
      const err = configError(() => parseSyncConfig({ WHATSAPP_TRANSPORT: 'x'.repeat(500) }));
      assert.ok(err.message.length < 200, err.message);
    });
  });

  describe('write budget ramp', () => {
    it('refuses a maximum below the start, also against the default maximum', () => {
      assert.equal(parseHostConfig({ ...HOST_BASE, SYNC_WRITES_PER_SECOND: '800' }).syncWritesPerSecondMax, 10_000);
      assert.deepEqual(
        configError(() =>
          parseHostConfig({ ...HOST_BASE, SYNC_WRITES_PER_SECOND: '800', SYNC_WRITES_PER_SECOND_MAX: '500' }),
        ).problems,
        [{ variable: 'SYNC_WRITES_PER_SECOND_MAX', reason: 'must be at least SYNC_WRITES_PER_SECOND (800), got 500' }],
      );
      assert.deepEqual(
        problemVariables(configError(() => parseHostConfig({ ...HOST_BASE, SYNC_WRITES_PER_SECOND: '20000' }))),
        ['SYNC_WRITES_PER_SECOND_MAX'],
      );
    });
  });

  describe('backfill jitter', () => {
    it('accepts min = max and rejects min > max, in both parsers', () => {
      assert.equal(
        parseFunctionsConfig({ BACKFILL_JITTER_MIN_S: '20', BACKFILL_JITTER_MAX_S: '20' }).backfillJitterMinSeconds,
        20,
      );
      const env = { BACKFILL_JITTER_MIN_S: '50', BACKFILL_JITTER_MAX_S: '40' };
      for (const parse of [() => parseFunctionsConfig(env), () => parseHostConfig({ ...HOST_BASE, ...env })]) {
        assert.deepEqual(configError(parse).problems, [
          { variable: 'BACKFILL_JITTER_MIN_S', reason: 'must not exceed BACKFILL_JITTER_MAX_S (40), got 50' },
        ]);
      }
    });

    it('compares against the default when only one bound is set', () => {
      assert.deepEqual(problemVariables(configError(() => parseFunctionsConfig({ BACKFILL_JITTER_MIN_S: '41' }))), [
        'BACKFILL_JITTER_MIN_S',
      ]);
    });

    it('does not add a range problem when a bound is itself invalid', () => {
      const err = configError(() =>
        parseFunctionsConfig({ BACKFILL_JITTER_MIN_S: '50', BACKFILL_JITTER_MAX_S: 'soon' }),
      );
      assert.deepEqual(problemVariables(err), ['BACKFILL_JITTER_MAX_S']);
    });
  });

  describe('AUTH_STATE_PREVIOUS_KEYS', () => {
    it('reads a comma-separated list of keys kept for reading during a rotation', () => {
      const [a, b] = [randomBytes(32), randomBytes(32)];
      const config = parseHostConfig({
        HOST_ID: 'h',
        AUTH_STATE_KEY: base64Key(),
        AUTH_STATE_PREVIOUS_KEYS: ` ${a.toString('base64')} ,${b.toString('base64url')}`,
      });
      assert.deepEqual(
        config.authStatePreviousKeys.map((k) => k.reveal()),
        [a, b],
      );
      // A substring test, not a RegExp: base64 has '+' and '/', and a key starting with '+' made an
      // invalid pattern (a random failure, 1 run in 64).
      assert.ok(!JSON.stringify(redactConfig(config)).includes(a.toString('base64').slice(0, 12)), 'key not shown');
    });

    it('rejects any bad entry without echoing it, and needs AUTH_STATE_KEY beside it', () => {
      const bad = configError(() =>
        parseHostConfig({
          HOST_ID: 'h',
          AUTH_STATE_KEY: base64Key(),
          AUTH_STATE_PREVIOUS_KEYS: `${base64Key()},${base64Key(16)}`,
        }),
      );
      assert.deepEqual(problemVariables(bad), ['AUTH_STATE_PREVIOUS_KEYS']);
      assert.match(bad.message, /value not shown/);
      const alone = configError(() => parseHostConfig({ ...HOST_BASE, AUTH_STATE_PREVIOUS_KEYS: base64Key() }));
      assert.deepEqual(problemVariables(alone), ['AUTH_STATE_PREVIOUS_KEYS']);
      assert.match(alone.message, /requires AUTH_STATE_KEY/);
    });
  });

  describe('AUTH_STATE_KEY', () => {
    it('is required against real Firestore (no FIRESTORE_EMULATOR_HOST)', () => {
      const err = configError(() => parseHostConfig({ HOST_ID: 'h' }));
      assert.deepEqual(problemVariables(err), ['AUTH_STATE_KEY']);
      assert.match(err.message, /AUTH_STATE_KEY: required when FIRESTORE_EMULATOR_HOST is unset/);
    });

    it('is required for the simulated transport too when Firestore is real', () => {
      const err = configError(() => parseHostConfig({ HOST_ID: 'h', WHATSAPP_TRANSPORT: 'simulated' }));
      assert.deepEqual(problemVariables(err), ['AUTH_STATE_KEY']);
    });

    it('is optional against the emulator, and validated when given', () => {
      assert.equal(parseHostConfig(HOST_BASE).authStateKey, undefined);
      const err = configError(() => parseHostConfig({ ...HOST_BASE, AUTH_STATE_KEY: base64Key(16) }));
      assert.deepEqual(problemVariables(err), ['AUTH_STATE_KEY']);
    });

    it('accepts standard and URL-safe base64 of 32 bytes, padded or not, with a trailing newline', () => {
      const bytes = randomBytes(32);
      for (const encoded of [
        bytes.toString('base64'),
        bytes.toString('base64url'),
        bytes.toString('base64').replace(/=+$/, ''),
        `${bytes.toString('base64')}\n`,
      ]) {
        const config = parseHostConfig({ HOST_ID: 'h', AUTH_STATE_KEY: encoded });
        assert.deepEqual(config.authStateKey?.reveal(), bytes, encoded);
      }
    });

    it('rejects wrong lengths and non-base64', () => {
      for (const bad of [base64Key(31), base64Key(33), base64Key(64), 'not base64!', `${base64Key()}$`, 'hex:00ff']) {
        const err = configError(() => parseHostConfig({ HOST_ID: 'h', AUTH_STATE_KEY: bad }));
        assert.deepEqual(problemVariables(err), ['AUTH_STATE_KEY'], bad);
      }
    });

    it('never echoes a rejected key in the error', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ minLength: 6, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
            fc.string({ minLength: 8 }),
          ),
          (bad) => {
            fc.pre(bad.trim().length >= 8 && Buffer.from(bad.trim(), 'base64').length !== 32);
            const err = configError(() => parseHostConfig({ HOST_ID: 'h', AUTH_STATE_KEY: bad }));
            // Stack frames name code, not data: a generated key that happens to be a word of a
            // frame (`property` in fast-check's `propertyExecution`) is no leak, so frames are dropped.
            const outputs = [err.message, JSON.stringify(err), inspect(err), String(err.stack)].map(withoutFrames);
            for (const output of outputs) assert.ok(!output.includes(bad.trim()), output);
          },
        ),
      );
    });

    it('cannot leak through logging: JSON, inspect, string conversion and redactConfig all redact it', () => {
      const bytes = randomBytes(32);
      const config = parseHostConfig({ HOST_ID: 'h', AUTH_STATE_KEY: bytes.toString('base64') });
      const outputs = [
        JSON.stringify(config),
        inspect(config, { depth: 5 }),
        `${config.authStateKey}`,
        JSON.stringify(redactConfig(config)),
      ];
      for (const output of outputs) {
        for (const encoding of ['base64', 'base64url', 'hex'] as const) {
          assert.ok(!output.includes(bytes.toString(encoding)), output);
        }
        assert.match(output, /<redacted>/);
      }
    });

    it('hands out copies, so wiping one after use keeps the key intact', () => {
      const bytes = randomBytes(32);
      const key = new SecretBytes(bytes);
      key.reveal().fill(0);
      assert.deepEqual(key.reveal(), bytes);
    });
  });

  describe('HOST_ID and project', () => {
    it('derives HOST_ID from K_REVISION and the caller-supplied suffix', () => {
      const env = { FIRESTORE_EMULATOR_HOST: 'localhost:8080', K_REVISION: 'socket-host-00003-xyz' };
      assert.equal(parseHostConfig(env, { hostIdSuffix: 'a1b2' }).hostId, 'socket-host-00003-xyz-a1b2');
      assert.equal(parseHostConfig(HOST_BASE, { hostIdSuffix: 'a1b2' }).hostId, 'test-host');
      assert.equal(
        parseHostConfig({ FIRESTORE_EMULATOR_HOST: 'localhost:8080' }, { hostIdSuffix: 'a1b2' }).hostId,
        'local-a1b2',
      );
    });

    it('requires HOST_ID when no suffix is supplied, and rejects invalid ids', () => {
      const missing = configError(() => parseHostConfig({ FIRESTORE_EMULATOR_HOST: 'localhost:8080' }));
      assert.deepEqual(problemVariables(missing), ['HOST_ID']);
      for (const bad of ['a/b', '__x__', '.', '-lead', 'x'.repeat(129)]) {
        const err = configError(() => parseHostConfig({ ...HOST_BASE, HOST_ID: bad }));
        assert.deepEqual(problemVariables(err), ['HOST_ID'], bad);
      }
      const badSuffix = configError(() =>
        parseHostConfig({ FIRESTORE_EMULATOR_HOST: 'localhost:8080' }, { hostIdSuffix: 'a/b' }),
      );
      assert.deepEqual(problemVariables(badSuffix), ['HOST_ID']);
    });

    it('takes the project from either variable and rejects disagreement', () => {
      assert.equal(parseHostConfig({ ...HOST_BASE, GOOGLE_CLOUD_PROJECT: 'proj-one' }).projectId, 'proj-one');
      assert.equal(parseHostConfig({ ...HOST_BASE, GCLOUD_PROJECT: 'proj-two' }).projectId, 'proj-two');
      const err = configError(() =>
        parseHostConfig({ ...HOST_BASE, GOOGLE_CLOUD_PROJECT: 'proj-one', GCLOUD_PROJECT: 'proj-two' }),
      );
      assert.deepEqual(err.problems, [
        {
          variable: 'GCLOUD_PROJECT',
          reason: 'must equal GOOGLE_CLOUD_PROJECT ("proj-one") when both are set, got "proj-two"',
        },
      ]);
    });
  });

  describe('redactConfig', () => {
    it('replaces only secrets that are set', () => {
      const config = parseHostConfig({ HOST_ID: 'h', AUTH_STATE_KEY: base64Key() });
      const redacted = redactConfig(config);
      assert.equal(redacted.authStateKey, REDACTED);
      assert.deepEqual({ ...redacted, authStateKey: undefined }, { ...config, authStateKey: undefined });
      assert.equal(redactConfig(parseHostConfig(HOST_BASE)).authStateKey, undefined);
      assert.deepEqual(redactConfig(parseSyncConfig({})), SYNC_DEFAULTS);
    });
  });

  describe('CONFIG_DOCS', () => {
    /** The variable names a parser looks up, recorded through a proxy environment. */
    function namesReadBy(parse: (env: Env) => unknown): string[] {
      const read = new Set<string>();
      const env = new Proxy({} as Env, {
        get(_target, name) {
          if (typeof name === 'string') read.add(name);
          return undefined;
        },
      });
      try {
        parse(env);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
      return [...read].sort();
    }

    function documented(...scopes: string[]): string[] {
      return CONFIG_DOCS.filter((doc) => scopes.includes(doc.scope))
        .map((doc) => doc.name)
        .sort();
    }

    it('documents each variable once, with a description', () => {
      const names = CONFIG_DOCS.map((doc) => doc.name);
      assert.equal(new Set(names).size, names.length);
      for (const doc of CONFIG_DOCS) {
        assert.match(doc.name, /^[A-Z][A-Z0-9_]*$/);
        assert.ok(doc.description.length > 10, doc.name);
        assert.ok(doc.default.length > 0, doc.name);
      }
    });

    it('documents exactly the variables each parser reads, with the right scope', () => {
      assert.deepEqual(namesReadBy(parseHostConfig), documented('host', 'both'));
      assert.deepEqual(namesReadBy(parseFunctionsConfig), documented('functions', 'both'));
      const sync = namesReadBy(parseSyncConfig);
      assert.deepEqual(sync, [
        'WHATSAPP_BACKFILL_COUNT',
        'WHATSAPP_BACKFILL_THREADS',
        'WHATSAPP_HISTORY_SYNC_DRY_RUN',
        'WHATSAPP_INCLUDE_STATUS_BROADCAST',
        'WHATSAPP_SYNC_FULL_HISTORY',
        'WHATSAPP_TRANSPORT',
      ]);
      for (const name of sync) assert.equal(CONFIG_DOCS.find((doc) => doc.name === name)?.scope, 'both');
    });

    it('documents the defaults the parsers really apply', () => {
      const unset = parseHostConfig(HOST_BASE);
      const literalDefaults = CONFIG_DOCS.filter((doc) => !/^[(<]/.test(doc.default));
      assert.ok(literalDefaults.length >= 13);
      for (const doc of literalDefaults) {
        const explicit = parseHostConfig({ ...HOST_BASE, [doc.name]: doc.default });
        assert.deepEqual(explicit, unset, doc.name);
      }
    });

    it('documents the defaults DESIGN §5 fixes', () => {
      const defaults = Object.fromEntries(CONFIG_DOCS.map((doc) => [doc.name, doc.default]));
      assert.equal(defaults.WHATSAPP_SYNC_FULL_HISTORY, 'true');
      assert.equal(defaults.WHATSAPP_BACKFILL_COUNT, '100');
      assert.equal(defaults.WHATSAPP_BACKFILL_THREADS, '50');
      assert.equal(defaults.WHATSAPP_HISTORY_SYNC_DRY_RUN, 'false');
      assert.equal(defaults.WHATSAPP_TRANSPORT, 'baileys');
    });
  });
});

/** `text` without its stack-frame lines (`    at fn (file:line:col)`). */
function withoutFrames(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s+at /.test(line))
    .join('\n');
}
