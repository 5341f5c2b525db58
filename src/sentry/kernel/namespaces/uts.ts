// A uts namespace (uts_namespaces(7)): the hostname and NIS domain name uname(2) reports
// and sethostname(2)/setdomainname(2) change, for every task that shares it.

export class UtsNamespace {
  constructor(
    public hostname: string,
    public domainname: string,
  ) {}

  /** unshare(CLONE_NEWUTS): a new namespace that starts with this one's names. */
  copy(): UtsNamespace {
    return new UtsNamespace(this.hostname, this.domainname);
  }
}
