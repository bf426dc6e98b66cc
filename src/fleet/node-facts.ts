/**
 * What a booted node looks like from the inside (SPEC C-9, F-1, C-6): kernel, `/proc/sys/crypto/fips_enabled`,
 * the Windows `FIPSAlgorithmPolicy` registry value, `/etc/motd`, os-release, secure boot state. Facts follow from
 * the image a node booted and its pool's settings; they are computed at boot and stored with the instance.
 */
import { randomUUID } from 'node:crypto';
import { osById } from './catalog/os-versions.js';
import type { NodeFacts, NodeModel } from './model.js';

export const FIPS_POLICY_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\FIPSAlgorithmPolicy';

const UNAME_ARCH = { amd64: 'x86_64', arm64: 'aarch64' } as const;

function defaultMotd(osImage: string, kernel: string, arch: string): string {
  return `Welcome to ${osImage} (GNU/Linux ${kernel} ${arch})\n\n * Documentation:  https://help.ubuntu.com\n * Management:     https://landscape.canonical.com\n * Support:        https://ubuntu.com/pro\n`;
}

function osRelease(model: NodeModel, osImage: string): string {
  const os = osById(model.os);
  if (model.os.startsWith('ubuntu')) {
    const ver = os.displayName.replace('Ubuntu ', '');
    return `PRETTY_NAME="${osImage}"\nNAME="Ubuntu"\nVERSION_ID="${ver}"\nID=ubuntu\nID_LIKE=debian\n`;
  }
  if (model.os === 'azurelinux3' || model.os === 'azurecontainerlinux3') return `NAME="Microsoft Azure Linux"\nVERSION="3.0"\nID=azurelinux\nVERSION_ID="3.0"\nPRETTY_NAME="${osImage}"\n`;
  return `NAME="Common Base Linux Mariner"\nVERSION="2.0"\nID=mariner\nVERSION_ID="2.0"\nPRETTY_NAME="CBL-Mariner/Linux"\n`;
}

/** The facts of a node that has just booted `model`. */
export function factsFor(model: NodeModel, hostname: string, bootedAt: string): NodeFacts {
  const os = osById(model.os);
  const base = {
    hostname,
    osType: model.osType,
    osImage: os.osImage,
    kernel: model.kernel,
    arch: model.arch,
    image: model.image,
    fipsEnabled: model.fips,
    openssl: os.openssl,
    secureBoot: model.generation === 2 ? (model.securityProfile.enableSecureBoot ? 'enabled' : 'disabled') : 'unsupported',
    vtpm: model.securityProfile.enableVTPM,
    bootId: randomUUID(),
    bootedAt,
  } as const;
  if (model.osType === 'Windows') {
    return {
      ...base,
      files: {},
      // SPEC F-1 (Windows): FIPS mode is the registry value HKLM\...\Lsa\FIPSAlgorithmPolicy\Enabled = 1.
      registry: { [FIPS_POLICY_KEY]: { Enabled: { type: 'REG_DWORD', data: model.fips ? 1 : 0 } } },
    };
  }
  const motd = model.messageOfTheDay ? Buffer.from(model.messageOfTheDay, 'base64').toString('utf8') : defaultMotd(os.osImage, model.kernel, UNAME_ARCH[model.arch]);
  return {
    ...base,
    registry: {},
    files: {
      // SPEC F-1: 1 on FIPS nodes.
      '/proc/sys/crypto/fips_enabled': `${model.fips ? 1 : 0}\n`,
      // SPEC C-6: the pool's message of the day replaces the default one.
      '/etc/motd': motd,
      '/etc/os-release': osRelease(model, os.osImage),
      '/etc/hostname': `${hostname}\n`,
      '/proc/version': `Linux version ${model.kernel} (buildd@aks) (gcc) #1 SMP ${bootedAt}\n`,
      '/proc/cmdline': `BOOT_IMAGE=/boot/vmlinuz-${model.kernel} root=PARTUUID=${hostname} ro console=ttyS0 earlyprintk=ttyS0${model.fips ? ' fips=1' : ''}\n`,
      '/proc/sys/kernel/random/boot_id': `${base.bootId}\n`,
    },
  };
}
