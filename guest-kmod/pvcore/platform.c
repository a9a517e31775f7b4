// SPDX-License-Identifier: GPL-2.0
/* platform.c: the platform PCI device 5850:0001; MSI-X entry i is vCPU i's upcall vector. */
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <pv/pvisor.h>

#include "internal.h"

struct pv_upcall {
	int irq;
	char name[16];
};

/* Set by probe, cleared by remove; pvcore needs exactly one platform device. */
static struct pv_upcall *pv_upcalls_vec;
static unsigned int pv_nr_upcalls;
static bool pv_platform_bound;

static irqreturn_t pv_upcall_isr(int irq, void *dev_id)
{
	unsigned int vcpu = (unsigned int)(unsigned long)dev_id;

	/*
	 * Entry i targets CPU i, and per-vCPU ports (timer, IPIs) must be handled on their own
	 * CPU. Handle vCPU i's events even if the message landed elsewhere, so none is lost.
	 */
	WARN_ON_ONCE(vcpu != smp_processor_id());
	pv_evtchn_do_upcall(vcpu);
	return IRQ_HANDLED;
}

static void pv_free_upcalls(struct pci_dev *pdev, unsigned int count)
{
	while (count--)
		free_irq(pv_upcalls_vec[count].irq, (void *)(unsigned long)count);
	pci_free_irq_vectors(pdev);
	kfree(pv_upcalls_vec);
	pv_upcalls_vec = NULL;
}

static int pv_request_upcall(struct pci_dev *pdev, unsigned int vcpu)
{
	struct pv_upcall *up = &pv_upcalls_vec[vcpu];
	int err;

	up->irq = pci_irq_vector(pdev, vcpu);
	if (up->irq < 0)
		return up->irq;
	snprintf(up->name, sizeof(up->name), "pv-upcall%u", vcpu);
	err = irq_set_affinity(up->irq, cpumask_of(vcpu));
	if (err)
		return err;
	err = request_irq(up->irq, pv_upcall_isr, IRQF_NOBALANCING | IRQF_NO_THREAD, up->name,
			  (void *)(unsigned long)vcpu);
	if (err)
		return err;
	if (!cpumask_test_cpu(vcpu, irq_get_effective_affinity_mask(up->irq)))
		pr_warn("pvcore: upcall vector of vCPU %u does not target CPU %u\n", vcpu, vcpu);
	return 0;
}

static int pv_platform_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	unsigned int vcpu;
	int nvec, err;

	if (pv_platform_bound)
		return -EBUSY;
	err = pcim_enable_device(pdev);
	if (err)
		return err;
	/* MSI-X messages are bus-master writes: a VMM modelling the command register checks it. */
	pci_set_master(pdev);
	nvec = pci_msix_vec_count(pdev);
	if (nvec < (int)pv_nr_vcpus) {
		dev_err(&pdev->dev, "MSI-X table has %d entries, %u vCPUs\n", nvec, pv_nr_vcpus);
		return -EINVAL;
	}
	nvec = pci_alloc_irq_vectors(pdev, pv_nr_vcpus, pv_nr_vcpus, PCI_IRQ_MSIX);
	if (nvec < 0)
		return nvec;
	pv_upcalls_vec = kcalloc(pv_nr_vcpus, sizeof(*pv_upcalls_vec), GFP_KERNEL);
	if (!pv_upcalls_vec) {
		pci_free_irq_vectors(pdev);
		return -ENOMEM;
	}
	for (vcpu = 0; vcpu < pv_nr_vcpus; vcpu++) {
		err = pv_request_upcall(pdev, vcpu);
		if (err) {
			dev_err(&pdev->dev, "upcall vector for vCPU %u: %d\n", vcpu, err);
			pv_free_upcalls(pdev, vcpu);
			return err;
		}
	}
	pv_nr_upcalls = pv_nr_vcpus;
	pv_platform_bound = true;
	dev_info(&pdev->dev, "%u upcall vectors\n", pv_nr_upcalls);
	return 0;
}

static void pv_platform_remove(struct pci_dev *pdev)
{
	pv_free_upcalls(pdev, pv_nr_upcalls);
	pv_nr_upcalls = 0;
	pv_platform_bound = false;
}

static const struct pci_device_id pv_platform_ids[] = {
	{ PCI_DEVICE(PV_PLATFORM_VENDOR_ID, PV_PLATFORM_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, pv_platform_ids);

static struct pci_driver pv_platform_driver = {
	.name = "pvisor-platform",
	.id_table = pv_platform_ids,
	.probe = pv_platform_probe,
	.remove = pv_platform_remove,
	/* Upcalls must exist before the timer and console bind ports: probe synchronously. */
	.driver.probe_type = PROBE_FORCE_SYNCHRONOUS,
};

int pv_platform_init(void)
{
	int err = pci_register_driver(&pv_platform_driver);

	if (err)
		return err;
	if (!pv_platform_bound) {
		pr_err("pvcore: platform PCI device %04x:%04x not found or not usable\n",
		       PV_PLATFORM_VENDOR_ID, PV_PLATFORM_DEVICE_ID);
		pci_unregister_driver(&pv_platform_driver);
		return -ENODEV;
	}
	return 0;
}

void pv_platform_exit(void)
{
	pci_unregister_driver(&pv_platform_driver);
}
