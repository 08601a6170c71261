/**
 * The parts of Hetzner Cloud API v1's JSON that Aloft reads (see
 * ../shared/cloud-specs/hetzner-cloud-v1.openapi.json). Fields Aloft ignores are left out.
 */
export type Labels = Record<string, string>;

export interface HAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  resources: { id: number; type: string }[];
  error: { code: string; message: string } | null;
}

export type HServerStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

export interface HLocation {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export interface HPrice {
  location: string;
  price_hourly: { net: string; gross: string };
  price_monthly: { net: string; gross: string };
  included_traffic: number;
  price_per_tb_traffic: { net: string; gross: string };
}

export interface HServerType {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  deprecated: boolean | null;
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  storage_type: 'local' | 'network';
  category?: string;
  prices: HPrice[];
  locations: { id: number; name: string; deprecation: { announced: string; unavailable_after: string } | null }[];
}

export interface HServer {
  id: number;
  name: string;
  status: HServerStatus;
  created: string;
  labels: Labels;
  location: HLocation;
  server_type: HServerType;
  public_net: {
    ipv4: { ip: string; blocked: boolean; dns_ptr: string; id?: number } | null;
    ipv6: { ip: string; blocked: boolean; id?: number } | null;
    floating_ips: number[];
    firewalls?: { id?: number; status?: 'applied' | 'pending' }[];
  };
  private_net: { ip?: string; network?: number }[];
  volumes?: number[];
  primary_disk_size: number;
}

export interface HFirewallRule {
  direction: 'in' | 'out';
  protocol: 'tcp' | 'udp' | 'icmp' | 'esp' | 'gre';
  port?: string | null;
  source_ips?: string[];
  destination_ips?: string[];
  description?: string | null;
}

export interface HFirewallResource {
  type: 'server' | 'label_selector';
  server?: { id: number };
  label_selector?: { selector: string };
}

export interface HFirewall {
  id: number;
  name: string;
  labels?: Labels;
  created: string;
  rules: HFirewallRule[];
  applied_to: HFirewallResource[];
}

export interface HSshKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Labels;
  created: string;
}

export interface HVolume {
  id: number;
  name: string;
  size: number;
  server: number | null;
  status: 'available' | 'creating';
  labels: Labels;
  location: HLocation;
  linux_device: string;
  format: string | null;
  created: string;
}

export interface HImage {
  id: number;
  type: 'system' | 'app' | 'snapshot' | 'backup';
  status: 'available' | 'creating' | 'unavailable';
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created: string;
  created_from: { id: number; name: string } | null;
  labels: Labels;
}

export interface HPagination {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number | null;
  total_entries: number | null;
}
