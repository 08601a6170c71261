/**
 * The aloft.yaml schema — one TypeBox definition serves the spec parser, the API's
 * request validation and the OpenAPI document.
 *
 * Glossary:
 *  - kind: what runs — `service` (a command on a port), `ollama` (a model server),
 *    `devbox` (an SSH-reachable box), `app` (a git repository built and run).
 *  - resources: what the machine needs (SkyPilot's `resources`, dstack's `resources`).
 *  - placement: where it may go (providers, regions, spot, price cap).
 *  - lifecycle: when it stops or ends (idle timeout, ttl, wake on request).
 *  - access: how it is reached (through the gateway, public or private, Tailscale).
 *
 * Every object is closed (`additionalProperties: false`): an unknown key is an error
 * that names the nearest valid key.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

/** "30s", "15m", "4h", "7d", "1h30m", or a number of seconds. */
export const Duration = Type.Union([Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$' }), Type.Number({ minimum: 0 })], {
  description: 'a duration such as 30s, 15m, 4h, 7d, 1h30m, or a number of seconds',
});

export const Resources = Type.Object(
  {
    gpu: Type.Optional(
      Type.String({ description: 'GPU name and count (L4:1, A100:8), minimum VRAM (24GB+), or any', examples: ['L4:1', '24GB+'] }),
    ),
    cpus: Type.Optional(
      Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: '^\\d+(\\.\\d+)?\\+?$' })], {
        description: 'a number of vCPUs such as 4 or "4+" (at least 4)',
      }),
    ),
    memory: Type.Optional(
      Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: '^\\d+(\\.\\d+)?\\s*(GB|GiB|G)?\\+?$' })], {
        description: 'memory in GB such as 16 or "16GB+" (at least 16 GB)',
      }),
    ),
    disk: Type.Optional(Type.Number({ minimum: 1, description: 'Root or data disk size in GB' })),
    arch: Type.Optional(Type.Union([Type.Literal('x86_64'), Type.Literal('arm64')], { description: 'CPU architecture' })),
  },
  closed,
);

export const Placement = Type.Object(
  {
    providers: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    regions: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'Region names or globs (eu-*)' })),
    spot: Type.Optional(Type.Boolean()),
    max_hourly_usd: Type.Optional(Type.Number({ minimum: 0 })),
  },
  closed,
);

export const Lifecycle = Type.Object(
  {
    idle_timeout: Type.Optional(Duration),
    on_idle: Type.Optional(Type.Union([Type.Literal('stop'), Type.Literal('destroy')])),
    ttl: Type.Optional(Duration),
    snapshot_on_destroy: Type.Optional(Type.Boolean()),
    wake_on_request: Type.Optional(Type.Boolean()),
    wake_timeout: Type.Optional(Duration),
  },
  closed,
);

export const Access = Type.Object(
  {
    gateway: Type.Optional(Type.Boolean()),
    public: Type.Optional(Type.Boolean()),
    tailscale: Type.Optional(
      Type.Object({ auth_key_env: Type.String({ description: 'Environment variable holding the auth key' }) }, closed),
    ),
    ports: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }))),
  },
  closed,
);

// additionalProperties: false — without it TypeBox lets a key that breaks the pattern through.
const Env = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), {
  additionalProperties: false,
  description: 'Environment variables: NAME: "value"',
});
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** Keys every kind shares. */
const common = {
  name: Type.String({
    pattern: '^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$',
    description: '1 to 40 lowercase letters, digits and dashes, starting with a letter and not ending with a dash',
  }),
  resources: Type.Optional(Resources),
  placement: Type.Optional(Placement),
  lifecycle: Type.Optional(Lifecycle),
  access: Type.Optional(Access),
};

export const ServiceSpec = Type.Object(
  {
    kind: Type.Literal('service'),
    ...common,
    command: Type.String({ minLength: 1, description: 'Shell command that starts the service' }),
    image: Type.Optional(Type.String({ description: 'Container image (cloud providers run it with Docker)' })),
    port: Type.Optional(Port),
    health: Type.Optional(Type.String({ pattern: '^/', description: 'HTTP path answering 2xx when ready' })),
    env: Type.Optional(Env),
    workdir: Type.Optional(Type.String({ description: 'Working directory, relative to the spec file' })),
  },
  closed,
);

export const OllamaSpec = Type.Object(
  {
    kind: Type.Literal('ollama'),
    ...common,
    model: Type.String({ minLength: 1, description: 'Ollama model tag, e.g. qwen2.5:0.5b' }),
    context: Type.Optional(Type.Integer({ minimum: 512, description: 'Context length (num_ctx)' })),
    port: Type.Optional(Port),
    env: Type.Optional(Env),
  },
  closed,
);

export const DevboxSpec = Type.Object(
  {
    kind: Type.Literal('devbox'),
    ...common,
    user: Type.Optional(
      Type.String({
        pattern: '^[a-z_][a-z0-9_-]{0,31}$',
        description: 'a Unix user name: up to 32 lowercase letters, digits, _ and -, not starting with a digit or dash',
      }),
    ),
    ssh_keys: Type.Array(Type.String({ description: 'An OpenSSH public key, or the path of a .pub file' }), {
      minItems: 1,
      description: 'OpenSSH public keys or paths of .pub files allowed to log in',
    }),
    image: Type.Optional(Type.String()),
  },
  closed,
);

export const AppSpec = Type.Object(
  {
    kind: Type.Literal('app'),
    ...common,
    repository: Type.String({ minLength: 1, description: 'Git repository URL (https://…, git@host:org/repo.git) or local path' }),
    ref: Type.Optional(Type.String()),
    build: Type.Optional(Type.String()),
    command: Type.String({ minLength: 1, description: 'Shell command that starts the app' }),
    port: Type.Optional(Port),
    health: Type.Optional(Type.String({ pattern: '^/', description: 'HTTP path answering 2xx when ready' })),
    env: Type.Optional(Env),
  },
  closed,
);

export const KIND_SCHEMAS = {
  service: ServiceSpec,
  ollama: OllamaSpec,
  devbox: DevboxSpec,
  app: AppSpec,
} as const satisfies Record<string, TSchema>;

export type Kind = keyof typeof KIND_SCHEMAS;
export const KINDS = Object.keys(KIND_SCHEMAS) as Kind[];

export const Spec = Type.Union([ServiceSpec, OllamaSpec, DevboxSpec, AppSpec]);
export type Spec = Static<typeof Spec>;
export type ServiceSpec = Static<typeof ServiceSpec>;
export type OllamaSpec = Static<typeof OllamaSpec>;
export type DevboxSpec = Static<typeof DevboxSpec>;
export type AppSpec = Static<typeof AppSpec>;
export type Resources = Static<typeof Resources>;
export type Placement = Static<typeof Placement>;
export type Lifecycle = Static<typeof Lifecycle>;
export type Access = Static<typeof Access>;
