#!/bin/sh
# Installs the Debian packages k8ts and its tests use, when missing (needs root and apt).
set -eu
need=""
command -v etcd >/dev/null 2>&1 || need="$need etcd-server"
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || need="$need python3-kubernetes"
# kubelet on containerd: runtime, runc, CNI plugins (bridge needs iptables for portmap), test images
command -v containerd >/dev/null 2>&1 || need="$need containerd"
command -v runc >/dev/null 2>&1 || need="$need runc"
[ -x /usr/lib/cni/bridge ] || need="$need containernetworking-plugins"
dpkg -s busybox-static >/dev/null 2>&1 || need="$need busybox-static"
command -v iptables >/dev/null 2>&1 || need="$need iptables"
command -v nft >/dev/null 2>&1 || need="$need nftables"
# image pulls from a local registry with auth (tests)
command -v docker-registry >/dev/null 2>&1 || need="$need docker-registry"
command -v htpasswd >/dev/null 2>&1 || need="$need apache2-utils"
# the ingress benchmark compares against nginx (a binary it starts itself; not a service: k8ts's ingress wants port 80)
[ -x /usr/sbin/nginx ] || need="$need nginx-light"
# the ClusterIP benchmark loads a pod with wrk
command -v wrk >/dev/null 2>&1 || need="$need wrk"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-prereqs: missing:$need (run as root on Debian to install them)" >&2
  exit 0
fi
echo "install-prereqs: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends $need >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y --no-install-recommends $need >/dev/null; }
case "$need" in *nginx-light*) { systemctl disable --now nginx || service nginx stop; } >/dev/null 2>&1 || true ;; esac
