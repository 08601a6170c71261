/**
 * The Hetzner double's fixed catalog: locations, server types with per-location prices
 * (EUR, net and gross at 19% VAT) and the pricing document, in the API's own shapes.
 * Prices are close to Hetzner's published ones; they only need to be plausible.
 */
export const LOCATIONS = [
  { id: 1, name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein', latitude: 50.47612, longitude: 12.370071, network_zone: 'eu-central' },
  { id: 2, name: 'nbg1', description: 'Nuremberg DC Park 1', country: 'DE', city: 'Nuremberg', latitude: 49.452102, longitude: 11.076665, network_zone: 'eu-central' },
  { id: 3, name: 'hel1', description: 'Helsinki DC Park 1', country: 'FI', city: 'Helsinki', latitude: 60.169855, longitude: 24.938379, network_zone: 'eu-central' },
  { id: 4, name: 'ash', description: 'Ashburn, VA', country: 'US', city: 'Ashburn, VA', latitude: 39.043757, longitude: -77.487442, network_zone: 'us-east' },
  { id: 5, name: 'hil', description: 'Hillsboro, OR', country: 'US', city: 'Hillsboro, OR', latitude: 45.54222, longitude: -122.951587, network_zone: 'us-west' },
  { id: 6, name: 'sin', description: 'Singapore', country: 'SG', city: 'Singapore', latitude: 1.283333, longitude: 103.833333, network_zone: 'ap-southeast' },
];

const EU = ['fsn1', 'nbg1', 'hel1'];
const ALL = LOCATIONS.map((l) => l.name);

interface TypeDef {
  id: number;
  name: string;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  hourly: number;
  monthly: number;
  locations: string[];
  deprecated?: boolean;
}

const TYPES: TypeDef[] = [
  { id: 1, name: 'cx11', cores: 1, memory: 2, disk: 20, cpu_type: 'shared', architecture: 'x86', hourly: 0.0052, monthly: 3.29, locations: EU, deprecated: true },
  { id: 22, name: 'cx22', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'x86', hourly: 0.006, monthly: 3.79, locations: EU },
  { id: 23, name: 'cx32', cores: 4, memory: 8, disk: 80, cpu_type: 'shared', architecture: 'x86', hourly: 0.0109, monthly: 6.8, locations: EU },
  { id: 24, name: 'cx42', cores: 8, memory: 16, disk: 160, cpu_type: 'shared', architecture: 'x86', hourly: 0.0262, monthly: 16.4, locations: EU },
  { id: 25, name: 'cx52', cores: 16, memory: 32, disk: 320, cpu_type: 'shared', architecture: 'x86', hourly: 0.0518, monthly: 32.4, locations: EU },
  { id: 3, name: 'cpx11', cores: 2, memory: 2, disk: 40, cpu_type: 'shared', architecture: 'x86', hourly: 0.007, monthly: 4.35, locations: ALL },
  { id: 4, name: 'cpx21', cores: 3, memory: 4, disk: 80, cpu_type: 'shared', architecture: 'x86', hourly: 0.0121, monthly: 7.55, locations: ALL },
  { id: 5, name: 'cpx31', cores: 4, memory: 8, disk: 160, cpu_type: 'shared', architecture: 'x86', hourly: 0.0218, monthly: 13.6, locations: ALL },
  { id: 45, name: 'cax11', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'arm', hourly: 0.006, monthly: 3.79, locations: EU },
  { id: 46, name: 'cax21', cores: 4, memory: 8, disk: 80, cpu_type: 'shared', architecture: 'arm', hourly: 0.0104, monthly: 6.49, locations: EU },
  { id: 93, name: 'ccx13', cores: 2, memory: 8, disk: 80, cpu_type: 'dedicated', architecture: 'x86', hourly: 0.0224, monthly: 13.99, locations: ALL },
];

const money = (net: number) => ({ net: net.toFixed(4), gross: (net * 1.19).toFixed(4) });

export function serverTypes() {
  return TYPES.map((t) => ({
    id: t.id,
    name: t.name,
    description: t.name.toUpperCase(),
    category: t.cpu_type === 'dedicated' ? 'dedicated_cpu' : 'shared_cpu',
    cores: t.cores,
    memory: t.memory,
    disk: t.disk,
    deprecated: t.deprecated ?? false,
    deprecation: t.deprecated ? { announced: '2024-06-06T00:00:00Z', unavailable_after: '2024-09-06T00:00:00Z' } : null,
    cpu_type: t.cpu_type,
    architecture: t.architecture,
    storage_type: 'local',
    prices: t.locations.map((location) => ({
      location,
      price_hourly: money(t.hourly),
      price_monthly: money(t.monthly),
      included_traffic: 21990232555520,
      price_per_tb_traffic: money(1),
    })),
    locations: t.locations.map((name) => ({ id: LOCATIONS.find((l) => l.name === name)!.id, name, deprecation: null })),
  }));
}

export function pricing() {
  return {
    currency: 'EUR',
    vat_rate: '19.00',
    image: { price_per_gb_month: money(0.011) },
    floating_ip: { price_monthly: money(3) },
    floating_ips: [],
    primary_ips: [],
    load_balancer_types: [],
    server_backup: { percentage: '20.00' },
    server_types: serverTypes().map((t) => ({ id: t.id, name: t.name, prices: t.prices })),
    volume: { price_per_gb_month: money(0.044) },
  };
}

export const SYSTEM_IMAGES = [
  { id: 161547269, name: 'ubuntu-24.04', description: 'Ubuntu 24.04', os_flavor: 'ubuntu', os_version: '24.04' },
  { id: 67794396, name: 'ubuntu-22.04', description: 'Ubuntu 22.04', os_flavor: 'ubuntu', os_version: '22.04' },
  { id: 114690387, name: 'debian-12', description: 'Debian 12', os_flavor: 'debian', os_version: '12' },
];

export function datacenterOf(location: (typeof LOCATIONS)[number]) {
  return {
    id: location.id * 10,
    name: `${location.name}-dc${location.id + 7}`,
    description: `${location.city} DC`,
    location,
    server_types: { supported: TYPES.map((t) => t.id), available: TYPES.map((t) => t.id), available_for_migration: TYPES.map((t) => t.id) },
  };
}
