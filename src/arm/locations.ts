/** Azure public-cloud regions the emulator accepts for `location` (names as ARM writes them). */
export interface AzureLocation {
  name: string;
  displayName: string;
  regionalDisplayName: string;
  geography: string;
}

const REGIONS: Array<[string, string, string]> = [
  ['eastus', 'East US', 'United States'],
  ['eastus2', 'East US 2', 'United States'],
  ['southcentralus', 'South Central US', 'United States'],
  ['westus2', 'West US 2', 'United States'],
  ['westus3', 'West US 3', 'United States'],
  ['australiaeast', 'Australia East', 'Australia'],
  ['southeastasia', 'Southeast Asia', 'Asia Pacific'],
  ['northeurope', 'North Europe', 'Europe'],
  ['swedencentral', 'Sweden Central', 'Sweden'],
  ['uksouth', 'UK South', 'United Kingdom'],
  ['westeurope', 'West Europe', 'Europe'],
  ['centralus', 'Central US', 'United States'],
  ['southafricanorth', 'South Africa North', 'South Africa'],
  ['centralindia', 'Central India', 'India'],
  ['eastasia', 'East Asia', 'Asia Pacific'],
  ['japaneast', 'Japan East', 'Japan'],
  ['japanwest', 'Japan West', 'Japan'],
  ['koreacentral', 'Korea Central', 'Korea'],
  ['canadacentral', 'Canada Central', 'Canada'],
  ['francecentral', 'France Central', 'France'],
  ['germanywestcentral', 'Germany West Central', 'Germany'],
  ['norwayeast', 'Norway East', 'Norway'],
  ['switzerlandnorth', 'Switzerland North', 'Switzerland'],
  ['uaenorth', 'UAE North', 'UAE'],
  ['brazilsouth', 'Brazil South', 'Brazil'],
  ['northcentralus', 'North Central US', 'United States'],
  ['westus', 'West US', 'United States'],
  ['westcentralus', 'West Central US', 'United States'],
  ['canadaeast', 'Canada East', 'Canada'],
  ['ukwest', 'UK West', 'United Kingdom'],
];

export const AZURE_LOCATIONS: AzureLocation[] = REGIONS.map(([name, displayName, geography]) => ({
  name,
  displayName,
  regionalDisplayName: `(${geography}) ${displayName}`,
  geography,
}));

/** Accepts a region's name or display name in any case ("East US", "eastus"); returns the canonical name. */
export function normalizeLocation(value: string): string | undefined {
  const squashed = value.replace(/\s+/g, '').toLowerCase();
  return AZURE_LOCATIONS.find((l) => l.name === squashed)?.name;
}
