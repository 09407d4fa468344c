-- Identity + RBAC schema of the account service. Constraints the seed states live here.

CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL CHECK (alg IN ('RS256')),
  public_pem text NOT NULL,
  -- AES-256-GCM ciphertext of the PKCS#8 private key: iv (12) || tag (16) || ciphertext, base64.
  private_enc text NOT NULL,
  active boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  -- A retired key verifies tokens until this instant (the longest lifetime of a token it signed).
  not_after timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active;

CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  account_type text NOT NULL CHECK (account_type IN ('human', 'service')),
  email text,
  password_hash text,
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  avatar_url text NOT NULL DEFAULT '',
  timezone text NOT NULL DEFAULT 'UTC',
  language text NOT NULL DEFAULT 'en',
  bio text NOT NULL DEFAULT '',
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  email_verified_at timestamptz,
  default_organization_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Humans sign in with email + password; service accounts never do.
  CONSTRAINT accounts_human_credentials CHECK (
    (account_type = 'human' AND email IS NOT NULL AND password_hash IS NOT NULL)
    OR (account_type = 'service' AND password_hash IS NULL)
  )
);
CREATE UNIQUE INDEX accounts_email_unique ON accounts (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 100),
  description text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  owner_account_id uuid NOT NULL REFERENCES accounts (id),
  plan text NOT NULL DEFAULT 'free',
  is_personal boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX organizations_slug_unique ON organizations (slug);

ALTER TABLE accounts
  ADD CONSTRAINT accounts_default_org_fk FOREIGN KEY (default_organization_id) REFERENCES organizations (id);

CREATE TABLE roles (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  description text,
  permissions text[] NOT NULL DEFAULT '{}',
  is_system boolean NOT NULL DEFAULT false,
  -- The role an invitation without role_id assigns on accept.
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX roles_name_unique ON roles (organization_id, lower(name));
CREATE UNIQUE INDEX roles_one_default ON roles (organization_id) WHERE is_default;

CREATE TABLE memberships (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  -- RESTRICT: a role that members hold cannot be deleted.
  role_id uuid NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, account_id)
);
CREATE INDEX memberships_account ON memberships (account_id);
CREATE INDEX memberships_role ON memberships (role_id);

CREATE TABLE invitations (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email text NOT NULL,
  role_id uuid REFERENCES roles (id) ON DELETE SET NULL,
  token_hash text NOT NULL UNIQUE,
  invited_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'cancelled')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  accepted_at timestamptz
);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (organization_id, lower(email)) WHERE status = 'pending';

CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  -- JTI of the only refresh token of this session that may still be used.
  refresh_jti uuid NOT NULL,
  ip_address text NOT NULL DEFAULT '',
  user_agent text NOT NULL DEFAULT '',
  device_fingerprint text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_account_active ON sessions (account_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_revoked_recent ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- Access/refresh JTIs that must stop validating before their exp.
CREATE TABLE revoked_tokens (
  jti text PRIMARY KEY,
  expires_at timestamptz NOT NULL,
  reason text NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

CREATE TABLE email_verification_tokens (
  token_hash text PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per reset JWT issued: the token is single use.
CREATE TABLE password_reset_tokens (
  jti uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  token_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service_accounts (
  account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  description text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
  capabilities text[] NOT NULL DEFAULT '{}',
  allowed_tools text[] NOT NULL DEFAULT '{}',
  rate_limit_per_minute integer NOT NULL DEFAULT 60 CHECK (rate_limit_per_minute BETWEEN 1 AND 10000),
  model_config text,
  last_used_at timestamptz
);
CREATE INDEX service_accounts_org ON service_accounts (organization_id, status);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  service_account_id uuid NOT NULL REFERENCES service_accounts (account_id) ON DELETE CASCADE,
  name text NOT NULL DEFAULT '',
  key_prefix text NOT NULL,
  -- Hex SHA-256 of the plaintext key; the plaintext is never stored.
  key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  permissions text[] NOT NULL DEFAULT '{}',
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_service_account ON api_keys (service_account_id, created_at);

CREATE TABLE audit_logs (
  id uuid PRIMARY KEY,
  actor_id uuid,
  actor_email text,
  actor_display_name text,
  organization_id uuid,
  organization_name text,
  action text NOT NULL,
  target_type text,
  target_id text,
  target_label text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip_address text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_actor ON audit_logs (actor_id, created_at DESC);
CREATE INDEX audit_logs_org ON audit_logs (organization_id, created_at DESC);
