/*
 * kvm/kvm.h - KVM engine helpers used outside the engine itself: opening
 * /dev/kvm with a clear error, guest address translation for crash reports.
 */
#ifndef EMBER_KVM_H
#define EMBER_KVM_H

#include <stdint.h>

struct vcpu;

/* Open /dev/kvm and check the API version: fd, or -errno with ember_error(). */
int kvm_open(void);
/* Translate a guest linear address through the vCPU's current paging. */
int kvm_translate(struct vcpu *vcpu, uint64_t linear, uint64_t *gpa);
int kvm_vcpu_fd(struct vcpu *vcpu);

#endif
